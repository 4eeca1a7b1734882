import NSTTensor
