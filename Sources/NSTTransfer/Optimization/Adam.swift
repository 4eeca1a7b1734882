import Foundation

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), with bias correction.
///
/// Deterministic: plain sequential arithmetic, no randomness. A step whose new point has a non-finite loss or
/// gradient is rejected, so `x` only ever holds points with finite loss.
public final class Adam: Optimizer {
    /// Step size α.
    public let learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    private let objective: Objective
    private var m: [Float] = []
    private var v: [Float] = []
    private var gradient: [Float] = []
    private var trial: [Float] = []
    private var trialGradient: [Float] = []
    private var t = 0

    /// An Adam optimizer minimising `objective`.
    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                objective: @escaping Objective) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.objective = objective
    }

    public func start(at x: [Float]) -> Float {
        let n = x.count
        m = [Float](repeating: 0, count: n)
        v = m; gradient = m; trial = m; trialGradient = m
        t = 0
        return objective(x, &gradient)
    }

    public func step(_ x: inout [Float]) -> StepOutcome {
        precondition(x.count == gradient.count, "Adam.step: call start(at:) first with a vector of this length")
        guard gradient.withUnsafeBufferPointer(allFinite) else { return .nonFinite }
        t += 1
        let correction1 = 1 - pow(beta1, Float(t)), correction2 = 1 - pow(beta2, Float(t))
        let stepSize = learningRate / correction1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        x.withUnsafeBufferPointer { xp in
            gradient.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        trial.withUnsafeMutableBufferPointer { out in
                            for i in 0..<xp.count {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                out[i] = xp[i] - stepSize * m[i] / ((v[i] / correction2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
        let loss = objective(trial, &trialGradient)
        guard loss.isFinite, trialGradient.withUnsafeBufferPointer(allFinite) else { return .nonFinite }
        swap(&x, &trial)
        swap(&gradient, &trialGradient)
        return .moved(loss: loss)
    }
}
