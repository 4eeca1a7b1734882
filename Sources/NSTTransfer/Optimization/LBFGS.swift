import Foundation

/// Limited-memory BFGS (Nocedal 1980; Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithm 7.4/7.5).
///
/// The direction comes from the two-loop recursion over the last `history` pairs (s, y), with the initial
/// Hessian scaled by γ = sᵀy / yᵀy of the newest pair. Step length: like torch.optim.LBFGS (used by the authors'
/// code) the first trial step is `learningRate` (on the very first iteration scaled by min(1, 1/‖g‖₁)); unlike torch,
/// which accepts it blindly, the trial is only accepted if the loss and gradient are finite and the Armijo condition
/// f(x + t·d) ≤ f(x) + c₁·t·gᵀd holds; otherwise t is halved (backtracking). Almost every step is accepted at
/// t = 1, so this costs nothing in the common case and keeps NaN/inf out of `x`. Pairs with sᵀy ≤ 0 are skipped
/// to keep the implicit Hessian positive definite. Where the Armijo decrease is below the Float loss's resolution
/// (a few ulps), a trial that does not raise the loss is accepted instead (see `step`).
public final class LBFGS: Optimizer {
    /// Number of (s, y) pairs kept.
    public let history: Int
    /// Initial trial step length.
    public let learningRate: Float
    /// Halvings tried before giving up on an iteration.
    public let maxBacktracks: Int
    /// The Armijo constant c₁.
    public let sufficientDecrease: Double
    /// Stop when max |gᵢ| falls below this.
    public let gradientTolerance: Float
    private let objective: Objective
    private var loss: Float = .nan
    private var gradient: [Float] = []
    private var direction: [Float] = []
    private var trial: [Float] = []
    private var trialGradient: [Float] = []
    /// Ring buffer of (s, y) pairs; slots are allocated as they are first needed.
    private var sPairs: [[Float]] = []
    private var yPairs: [[Float]] = []
    private var sScratch: [Float] = []
    private var yScratch: [Float] = []
    private var rho: [Double] = []
    private var alpha: [Double] = []
    private var pairCount = 0
    /// Pairs held now (at most `history`; the two-loop recursion's cost grows with it).
    public var pairsHeld: Int { pairCount }
    private var newest = -1
    private var iteration = 0

    /// An L-BFGS optimizer minimising `objective`.
    public init(history: Int = 100, learningRate: Float = 1, maxBacktracks: Int = 30,
                sufficientDecrease: Double = 1e-4, gradientTolerance: Float = 0, objective: @escaping Objective) {
        precondition(history >= 1, "LBFGS: history must be at least 1")
        self.history = history
        self.learningRate = learningRate
        self.maxBacktracks = maxBacktracks
        self.sufficientDecrease = sufficientDecrease
        self.gradientTolerance = gradientTolerance
        self.objective = objective
    }

    public func start(at x: [Float]) -> Float {
        let zeros = [Float](repeating: 0, count: x.count)
        gradient = zeros; direction = zeros; trial = zeros; trialGradient = zeros
        sScratch = zeros; yScratch = zeros
        sPairs = []; yPairs = []
        rho = [Double](repeating: 0, count: history); alpha = rho
        pairCount = 0
        newest = -1
        iteration = 0
        loss = objective(x, &gradient)
        return loss
    }

    public func step(_ x: inout [Float]) -> StepOutcome {
        precondition(x.count == gradient.count, "LBFGS.step: call start(at:) first with a vector of this length")
        guard loss.isFinite, gradient.withUnsafeBufferPointer(allFinite) else { return .nonFinite }
        let gMax = gradient.reduce(Float(0)) { max($0, abs($1)) }
        if gMax <= gradientTolerance { return .converged(loss: loss) }

        var slope = computeDirection()
        var initialStep = Double(learningRate)
        if pairCount == 0 || slope >= 0 {
            // No curvature information yet (or a non-descent direction after round-off): steepest descent,
            // with torch's conservative first step min(1, 1/‖g‖₁)·lr.
            resetHistory()
            for i in direction.indices { direction[i] = -gradient[i] }
            let norm1 = gradient.reduce(Double(0)) { $0 + Double(abs($1)) }
            slope = -gradient.reduce(Double(0)) { $0 + Double($1) * Double($1) }
            if iteration == 0 { initialStep *= min(1, 1 / max(norm1, .leastNormalMagnitude)) }
        }
        iteration += 1

        var t = initialStep
        var sawFinite = false
        for _ in 0...maxBacktracks {
            let trialLoss = evaluateTrial(from: x, step: Float(t))
            if trialLoss.isFinite, trialGradient.withUnsafeBufferPointer(allFinite) {
                sawFinite = true
                // The loss is a Float: a predicted decrease below a few of its ulps cannot be checked, and halving t
                // only shrinks it further. Such a trial is accepted if the loss did not rise at all. This is what
                // a large image's first step, t = 1/‖g‖₁, runs into: at 2048×2048 it took 15 evaluations.
                let predicted = -sufficientDecrease * t * slope
                let unresolvable = predicted < 4 * Double(loss.magnitude.ulp)
                if Double(trialLoss) <= Double(loss) - predicted || (unresolvable && trialLoss <= loss) {
                    accept(&x, loss: trialLoss)
                    return .moved(loss: trialLoss)
                }
            }
            t *= 0.5
        }
        return sawFinite ? .stalled(reason: "line search found no decrease after \(maxBacktracks) halvings") : .nonFinite
    }

    /// Two-loop recursion: direction = −H·g; returns gᵀd.
    private func computeDirection() -> Double {
        guard pairCount > 0 else { return 0 }
        for i in direction.indices { direction[i] = -gradient[i] }   // q = −g, so the result is −H·g directly
        let order = (0..<pairCount).map { (newest - $0 + history) % history }   // newest first
        direction.withUnsafeMutableBufferPointer { q in
            for idx in order {
                let a = rho[idx] * sPairs[idx].withUnsafeBufferPointer { dot($0, UnsafeBufferPointer(q)) }
                alpha[idx] = a
                yPairs[idx].withUnsafeBufferPointer { axpy(-Float(a), $0, q) }
            }
            let yy = yPairs[newest].withUnsafeBufferPointer { dot($0, $0) }
            let gamma = Float(1 / (rho[newest] * yy))   // sᵀy / yᵀy
            for i in 0..<q.count { q[i] *= gamma }
            for idx in order.reversed() {
                let b = rho[idx] * yPairs[idx].withUnsafeBufferPointer { dot($0, UnsafeBufferPointer(q)) }
                sPairs[idx].withUnsafeBufferPointer { axpy(Float(alpha[idx] - b), $0, q) }
            }
        }
        return gradient.withUnsafeBufferPointer { g in direction.withUnsafeBufferPointer { dot(g, $0) } }
    }

    private func evaluateTrial(from x: [Float], step t: Float) -> Float {
        x.withUnsafeBufferPointer { xp in
            direction.withUnsafeBufferPointer { d in
                trial.withUnsafeMutableBufferPointer { out in
                    for i in 0..<xp.count { out[i] = xp[i] + t * d[i] }
                }
            }
        }
        return objective(trial, &trialGradient)
    }

    /// Moves to the trial point and records the pair s = x₊ − x, y = g₊ − g when sᵀy > 0.
    private func accept(_ x: inout [Float], loss trialLoss: Float) {
        var sy: Double = 0
        x.withUnsafeBufferPointer { xp in
            trial.withUnsafeBufferPointer { xn in
                gradient.withUnsafeBufferPointer { g in
                    trialGradient.withUnsafeBufferPointer { gn in
                        sScratch.withUnsafeMutableBufferPointer { s in
                            yScratch.withUnsafeMutableBufferPointer { y in
                                for i in 0..<xp.count {
                                    s[i] = xn[i] - xp[i]
                                    y[i] = gn[i] - g[i]
                                    sy += Double(s[i]) * Double(y[i])
                                }
                            }
                        }
                    }
                }
            }
        }
        if sy > 1e-10 {
            let slot = (newest + 1) % history
            if slot == sPairs.count {
                sPairs.append(sScratch); yPairs.append(yScratch)
                sScratch = [Float](repeating: 0, count: x.count); yScratch = sScratch
            } else {
                swap(&sPairs[slot], &sScratch)
                swap(&yPairs[slot], &yScratch)
            }
            rho[slot] = 1 / sy
            newest = slot
            pairCount = min(pairCount + 1, history)
        }
        swap(&x, &trial)
        swap(&gradient, &trialGradient)
        loss = trialLoss
    }

    private func resetHistory() {
        pairCount = 0
        newest = -1
    }
}

extension LBFGS {
    /// Bytes one (s, y) pair takes for `variables` optimised floats: 2 × 4 × n.
    public static func bytesPerPair(variables: Int) -> Int { 2 * MemoryLayout<Float>.stride * variables }

    /// The history that fits a memory budget: m = min(requested, max(1, ⌊budget / (2 × 4 × n)⌋)) pairs.
    ///
    /// This departs from torch.optim.LBFGS and from the Gatys et al. code built on it, which keep a fixed count
    /// (torch's default 100) whatever the image size. For an RGB image n = 3·H·W, so a pair is 6 MiB at 512×512,
    /// 24 MiB at 1024×1024 and 96 MiB at 2048×2048, where 100 pairs alone would hold 9.4 GiB; with the default
    /// budget of 768 MiB that is 100 pairs (600 MiB, unchanged) at 512², 32 at 1024² and 8 at 2048². Modest
    /// histories lose little: Nocedal & Wright (2nd ed., Sec. 7.2) find m between 3 and 20 often enough. At
    /// least one pair is kept even if it alone exceeds the budget: m = 1 is still a quasi-Newton method
    /// (memoryless BFGS, Shanno 1978), m = 0 would be steepest descent. The budget covers the pairs only, not the
    /// optimizer's six working vectors of n floats (three pairs' worth).
    public static func history(requested: Int, budgetMiB: Int, variables: Int) -> Int {
        let pairBytes = bytesPerPair(variables: variables)
        let (budgetBytes, overflow) = budgetMiB.multipliedReportingOverflow(by: 1 << 20)
        guard pairBytes > 0, !overflow else { return requested }
        return min(requested, max(1, budgetBytes / pairBytes))
    }
}
