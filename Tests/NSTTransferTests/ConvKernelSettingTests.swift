import Foundation
import NSTNetwork
import Testing
import NSTTestSupport
@testable import NSTTransfer

/// `conv_kernel`, the compute setting of a run: it reaches the network, changes the numbers only within float
/// rounding, and keeps shared targets apart.
@Suite("conv_kernel run setting")
struct ConvKernelSettingTests {
    @Test("conv_kernel decodes, refuses unknown kernels with the valid names, and is encoded only when set")
    func key() throws {
        #expect(RunConfiguration().convKernel == .winograd4)
        let set = try RunConfiguration.decode(from: Data(#"{"conv_kernel": "winograd2"}"#.utf8))
        #expect(set.convKernel == .winograd2)
        #expect(try RunConfiguration.decode(from: JSONEncoder().encode(set)).convKernel == .winograd2)
        let defaultJSON = String(decoding: try JSONEncoder().encode(RunConfiguration()), as: UTF8.self)
        #expect(!defaultJSON.contains("conv_kernel"), "default runs keep their configuration hash")
        #expect(throws: ConfigurationError.invalidValue(key: "conv_kernel", value: "\"winograd6\"",
                                                        hint: "use one of \"im2col\", \"winograd2\", \"winograd4\"")) {
            try RunConfiguration.decode(from: Data(#"{"conv_kernel": "winograd6"}"#.utf8))
        }
        #expect(try RunConfiguration().setting(["conv_kernel=im2col"]).convKernel == .im2col)
    }

    @Test("a run on im2col uses it, starts within float rounding of the default run, and shares no targets with it")
    func runs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func run(_ kernel: ConvKernel, cache: TargetCache?, name: String) throws -> (first: Float, last: Float, bytes: Data) {
            var config = tinyConfiguration(output: folder.appendingPathComponent(name + ".png"))
            config.convKernel = kernel
            let transfer = try StyleTransfer(configuration: config, weights: tinyWeights)
            #expect(transfer.network.convKernel == kernel)
            transfer.targetCache = cache
            let result = try transfer.run()
            return (try #require(result.history.first).losses.total, try #require(result.history.last).losses.total,
                    try Data(contentsOf: URL(fileURLWithPath: config.output)))
        }
        let shared = TargetCache()
        let fast = try run(.winograd4, cache: shared, name: "winograd4")
        let reference = try run(.im2col, cache: shared, name: "im2col-shared")
        #expect(shared.hits == 0, "targets computed with one kernel must not serve another")
        let alone = try run(.im2col, cache: nil, name: "im2col")
        #expect(reference.bytes == alone.bytes && reference.last == alone.last)
        #expect(fast.last != reference.last && fast.bytes != reference.bytes, "the kernels agree to rounding, not bitwise")
        // The first evaluation (the content image) compares the kernels; the trajectories after it drift apart far
        // more, as float32 L-BFGS amplifies any rounding change (`KernelAgreement`).
        #expect(abs(fast.first - reference.first) <= 1e-4 * reference.first, "\(fast.first) vs \(reference.first)")
    }
}
