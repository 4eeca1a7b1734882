import Testing
@testable import NSTTransfer
