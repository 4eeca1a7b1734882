import Foundation
import NSTNetwork
import NSTTransfer

/// Checks a fast 3×3 convolution kernel (by default the configuration's `conv_kernel`) against the im2col + SGEMM
/// direct convolution where it matters: on the images an optimization actually visits.
///
/// L-BFGS runs `iterations` steps with the fast kernel; at the iterate it reaches, the objective (content,
/// style, each layer's part, total, and the gradient) is evaluated with both kernels, targets included. That is
/// the bar `nst-exp bench --accuracy` applies: every term agrees to 1e-3 relative after 50 iterations.
///
/// For information it also runs the reference kernel's own trajectory and compares the final losses. Those
/// differ by far more (about 1e-2 after 20 iterations at 128 px even for F(2×2), whose single evaluations agree
/// to 1e-6): L-BFGS in float32 amplifies any change in rounding order, a different thread count included, so two
/// trajectories are not a measure of kernel error.
public struct KernelAgreement {
    /// One loss term under both kernels.
    public struct Term: Codable, Sendable {
        public var name: String
        public var fast: Float
        public var reference: Float
        /// |fast − reference| / |reference| (0 when both are 0).
        public var relativeDifference: Double
    }

    /// The comparison's figures.
    public struct Result: Codable, Sendable {
        public var width: Int
        public var height: Int
        public var iterations: Int
        public var fastKernel: String
        public var referenceKernel: String
        /// Every term at the fast trajectory's last iterate, evaluated with both kernels.
        public var terms: [Term]
        /// ‖∇_fast − ∇_reference‖ / ‖∇_reference‖ at that iterate.
        public var gradientDifference: Double
        /// Final total loss of each kernel's own trajectory (informational).
        public var trajectoryTotals: Term
        /// CPU, BLAS kernel set and conv kernel (the fast one) that ran.
        public var system: RunEnvironment
        /// The largest relative difference over `terms`.
        public var worst: Double { terms.map(\.relativeDifference).max() ?? 0 }
    }

    public var size: Int
    public var iterations: Int
    /// The kernel under test; nil: the run configuration's `conv_kernel`.
    public var fast: ConvKernel?
    public var reference: ConvKernel

    /// A comparison at `size` (longest side) after `iterations` L-BFGS iterations.
    public init(size: Int, iterations: Int = 50, fast: ConvKernel? = nil, reference: ConvKernel = .im2col) {
        self.size = size
        self.iterations = iterations
        self.fast = fast
        self.reference = reference
    }

    /// Runs the check on `content` in the style of `style`, default configuration otherwise.
    public func run(weights: VGGWeights, content: URL, style: URL,
                    configuration base: RunConfiguration = RunConfiguration()) throws -> Result {
        let pair = try BenchmarkPair(content: content, style: style, size: size, square: false, base: base)
        let plan = pair.plan, config = plan.configuration
        let contentInput = pair.content, styleInput = pair.style
        let fast = self.fast ?? config.convKernel
        func objective(_ kernel: ConvKernel) -> TransferObjective {
            let network = VGG19(weights: weights, pooling: config.pooling, convKernel: kernel)
            return TransferObjective(network: network, content: contentInput, styles: [styleInput], plan: plan)
        }
        func trajectory(_ objective: TransferObjective) throws -> [Float] {
            var x = contentInput.data
            let optimizer = config.makeLBFGS(variables: x.count, objective: objective.closure)
            _ = optimizer.start(at: x)
            for i in 0..<iterations {
                switch optimizer.step(&x) {
                case .moved, .converged: continue
                case .stalled(let reason): throw BenchmarkError.stepFailed("iteration \(i + 1): \(reason)")
                case .nonFinite: throw BenchmarkError.stepFailed("iteration \(i + 1): the loss became NaN or infinite")
                }
            }
            return x
        }
        let fastObjective = objective(fast), referenceObjective = objective(reference)
        let x = try trajectory(fastObjective)
        var g = [Float](repeating: 0, count: x.count), gRef = g
        _ = fastObjective.evaluate(x, &g)
        _ = referenceObjective.evaluate(x, &gRef)
        let a = fastObjective.lastBreakdown, b = referenceObjective.lastBreakdown
        var terms = [term("total", a.total, b.total)] + zip(a.terms, b.terms).map { term($0.name, $0.value, $1.value) }
        for (p, q) in zip(a.layers, b.layers) { terms.append(term(p.columnName, p.value, q.value)) }

        _ = try trajectory(referenceObjective)
        let own = term("total", a.total, referenceObjective.lastBreakdown.total)
        return Result(width: contentInput.width, height: contentInput.height, iterations: iterations, fastKernel: fast.rawValue,
                      referenceKernel: reference.rawValue, terms: terms,
                      gradientDifference: gRef.contains { $0 != 0 } ? ConvKernelAccuracy.relativeL2Error(g, gRef) : 0,
                      trajectoryTotals: own, system: .current(convKernel: fast))
    }

    private func term(_ name: String, _ fast: Float, _ reference: Float) -> Term {
        let d = Double(abs(fast - reference))
        let r = d == 0 ? 0 : d / Double(max(abs(reference), .leastNormalMagnitude))
        return Term(name: name, fast: fast, reference: reference, relativeDifference: r)
    }
}
