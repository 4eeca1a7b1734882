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

@inline(__always) func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
    var sum: Double = 0
    for i in 0..<a.count { sum += Double(a[i]) * Double(b[i]) }
    return sum
}
