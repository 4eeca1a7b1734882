import Testing
@testable import NSTNetwork
