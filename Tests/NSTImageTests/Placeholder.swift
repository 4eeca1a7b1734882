import Testing
@testable import NSTImage
