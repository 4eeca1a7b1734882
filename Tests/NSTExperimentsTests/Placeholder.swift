import Testing
@testable import NSTExperiments
