import NSTTensor

/// The function being minimised: writes ∇f(x) into `gradient` (same length as `x`) and returns f(x).
///
/// One closure serves every optimizer; for style transfer it runs the network forward and backward once.
public typealias Objective = (_ x: [Float], _ gradient: inout [Float]) -> Float

/// What one optimizer iteration achieved.
public enum StepOutcome: Equatable, Sendable {
    /// `x` moved to a point with this (finite) loss.
    case moved(loss: Float)
    /// The gradient vanished; `x` is unchanged.
    case converged(loss: Float)
    /// No acceptable point was found; `x` is unchanged and still holds the last good iterate.
    case stalled(reason: String)
    /// Every trial point had a NaN or infinite loss or gradient; `x` is unchanged (it never receives such a point).
    case nonFinite
}

/// An iterative minimiser driven by an `Objective`.
public protocol Optimizer: AnyObject {
    /// Evaluates the objective at the starting point and returns f(x₀) (possibly non-finite: the caller decides).
    func start(at x: [Float]) -> Float
    /// Performs one iteration from `x`, which must be the point of the previous `start` or successful `step`.
    func step(_ x: inout [Float]) -> StepOutcome
}

/// Which optimizer a run uses.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case lbfgs, adam

    /// The learning rate used when the configuration leaves it unset: L-BFGS takes unit steps along its
    /// quasi-Newton direction (torch.optim.LBFGS's default, as in the authors' code); Adam works on pixels in
    /// network units (0–255), where 10 is the setting of jcjohnson/neural-style.
    public var defaultLearningRate: Float {
        switch self {
        case .lbfgs: return 1
        case .adam: return 10
        }
    }
}

@inline(__always) func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
    var acc: Float = 0
    for v in values { acc += v * 0 }   // NaN·0 and ±inf·0 are NaN; finite·0 is 0
    return acc == 0
}

/// Σ aᵢbᵢ for the optimizers' long vectors (3·H·W values). Products are summed in 16 Float lanes over fixed
/// blocks of 4096 (so the loop vectorizes), each block's sum is added in Double, and the blocks are split over
/// the workers in fixed chunks whose sums are added in order: the result depends only on the thread count.
func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
    let n = min(a.count, b.count)
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let blocks = (n + vectorBlock - 1) / vectorBlock
    let parts = vectorParts(n)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: parts) { partial in
        Parallel.forEach(parts) { part, _ in
            var sum: Double = 0
            for block in Parallel.chunk(part, of: parts, count: blocks) {
                let lo = block * vectorBlock, hi = min(n, lo + vectorBlock)
                var lanes = SIMD16<Float>()
                var i = lo
                while i + 16 <= hi {
                    lanes += UnsafeRawPointer(pa + i).loadUnaligned(as: SIMD16<Float>.self)
                        * UnsafeRawPointer(pb + i).loadUnaligned(as: SIMD16<Float>.self)
                    i += 16
                }
                var tail: Float = 0
                while i < hi { tail += pa[i] * pb[i]; i += 1 }
                sum += Double(lanes.sum()) + Double(tail)
            }
            partial[part] = sum
        }
        return (0..<parts).reduce(0) { $0 + partial[$1] }
    }
}

/// y ← y + α·x, split over the workers for long vectors.
func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
    let n = min(x.count, y.count)
    guard n > 0, let px = x.baseAddress, let py = y.baseAddress else { return }
    let parts = vectorParts(n)
    Parallel.forEach(parts) { part, _ in
        for i in Parallel.chunk(part, of: parts, count: n) { py[i] += alpha * px[i] }
    }
}

/// Block length of `dot`'s Float partial sums.
let vectorBlock = 4096

/// Worker count for a vector pass over n values: one below 64 Ki values, where a thread costs more than it saves.
func vectorParts(_ n: Int) -> Int { n >= 1 << 16 ? Parallel.workers : 1 }
