import Testing
@testable import NSTTensor
