import Testing
@testable import NSTGuidance
