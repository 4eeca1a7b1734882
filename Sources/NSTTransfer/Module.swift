import NSTNetwork
