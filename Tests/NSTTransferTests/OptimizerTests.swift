import Testing
@testable import NSTTransfer

@Suite("Optimizers")
struct OptimizerTests {
    /// f(x) = Σ dᵢ (xᵢ − cᵢ)², badly conditioned (d from 1 to 1000); minimum 0 at c.
    static let scales: [Float] = (0..<20).map { Float(pow(1000.0, Double($0) / 19)) }
    static let centre: [Float] = (0..<20).map { Float($0) * 0.5 - 3 }
    static let quadratic: Objective = { x, g in
        var f: Float = 0
        for i in x.indices {
            let d = x[i] - centre[i]
            f += scales[i] * d * d
            g[i] = 2 * scales[i] * d
        }
        return f
    }

    /// Rosenbrock in n dimensions, minimum 0 at (1, …, 1).
    static let rosenbrock: Objective = { x, g in
        var f: Float = 0
        for i in x.indices { g[i] = 0 }
        for i in 0..<(x.count - 1) {
            let a = x[i + 1] - x[i] * x[i], b = 1 - x[i]
            f += 100 * a * a + b * b
            g[i] += -400 * x[i] * a - 2 * b
            g[i + 1] += 200 * a
        }
        return f
    }

    func minimise(_ optimizer: Optimizer, from start: [Float], iterations: Int) -> (x: [Float], loss: Float) {
        var x = start
        var loss = optimizer.start(at: x)
        for _ in 0..<iterations {
            switch optimizer.step(&x) {
            case .moved(let l): loss = l
            default: return (x, loss)
            }
        }
        return (x, loss)
    }

    @Test("L-BFGS solves an ill-conditioned quadratic")
    func lbfgsQuadratic() {
        let result = minimise(LBFGS(history: 10, objective: Self.quadratic), from: [Float](repeating: 0, count: 20), iterations: 200)
        for i in 0..<20 { #expect(abs(result.x[i] - Self.centre[i]) < 1e-3, "x[\(i)] = \(result.x[i])") }
        #expect(result.loss < 1e-5)
    }

    @Test("L-BFGS finds the Rosenbrock minimum (1, …, 1) from (−1.2, 1, …)")
    func lbfgsRosenbrock() {
        let start: [Float] = (0..<6).map { $0 % 2 == 0 ? -1.2 : 1 }
        let result = minimise(LBFGS(history: 20, objective: Self.rosenbrock), from: start, iterations: 500)
        for v in result.x { #expect(abs(v - 1) < 1e-2, "\(result.x)") }
    }

    @Test("L-BFGS with a history of 1 still converges on the quadratic")
    func lbfgsShortHistory() {
        let result = minimise(LBFGS(history: 1, objective: Self.quadratic), from: [Float](repeating: 0, count: 20), iterations: 2000)
        #expect(result.loss < 1e-3)
    }

    @Test("Adam approaches the quadratic's minimum")
    func adamQuadratic() {
        let result = minimise(Adam(learningRate: 0.05, objective: Self.quadratic), from: [Float](repeating: 0, count: 20), iterations: 3000)
        for i in 0..<20 { #expect(abs(result.x[i] - Self.centre[i]) < 2e-2, "x[\(i)] = \(result.x[i])") }
    }

    @Test("Adam on Rosenbrock gets close to (1, 1)")
    func adamRosenbrock() {
        let result = minimise(Adam(learningRate: 0.01, objective: Self.rosenbrock), from: [-1.2, 1], iterations: 20000)
        #expect(abs(result.x[0] - 1) < 5e-2 && abs(result.x[1] - 1) < 1e-1, "\(result.x)")
    }

    /// f is the quadratic inside the box |xᵢ| < 2 and NaN outside; the unconstrained minimum lies outside.
    static let nanOutsideBox: Objective = { x, g in
        if x.contains(where: { abs($0) >= 2 }) { return .nan }
        var f: Float = 0
        for i in x.indices { f += (x[i] - 5) * (x[i] - 5); g[i] = 2 * (x[i] - 5) }
        return f
    }

    /// f = 10⁹ + Σ (xᵢ − 1)² over 4096 values from 0: torch's first step 1/‖g‖₁ lowers f by 2, below f's Float
    /// resolution (64), so the Armijo test can never pass; halving only makes it worse. The step that does not
    /// raise f is taken, and the second, with curvature, lands on the minimum.
    @Test("L-BFGS takes a first step whose decrease Float cannot resolve")
    func lbfgsUnresolvableFirstStep() {
        var evaluations = 0
        let offsetQuadratic: Objective = { x, g in
            evaluations += 1
            var sum: Float = 0
            for i in x.indices {
                sum += (x[i] - 1) * (x[i] - 1)
                g[i] = 2 * (x[i] - 1)
            }
            return 1e9 + sum
        }
        let optimizer = LBFGS(objective: offsetQuadratic)
        var x = [Float](repeating: 0, count: 4096)
        let start = optimizer.start(at: x)
        guard case .moved(let first) = optimizer.step(&x) else { Issue.record("first step did not move"); return }
        #expect(first <= start && evaluations == 2, "one trial, no halvings")
        guard case .moved(let second) = optimizer.step(&x) else { Issue.record("second step did not move"); return }
        #expect(second < start - 4000 && x.allSatisfy { abs($0 - 1) < 1e-3 })
        #expect(evaluations == 3)
    }

    @Test("L-BFGS never moves to a point with a NaN loss: it shrinks the step")
    func lbfgsRejectsNaN() {
        let optimizer = LBFGS(learningRate: 10, objective: Self.nanOutsideBox)
        var x: [Float] = [0, 0, 0]
        _ = optimizer.start(at: x)
        for _ in 0..<50 {
            let outcome = optimizer.step(&x)
            #expect(x.allSatisfy { $0.isFinite && abs($0) < 2 })
            if case .moved(let loss) = outcome { #expect(loss.isFinite) } else { break }
        }
        #expect(x.allSatisfy { $0 > 1.9 })   // pushed up against the wall, not through it
    }

    @Test("Adam reports non-finite and keeps the last good point")
    func adamRejectsNaN() {
        let optimizer = Adam(learningRate: 1, objective: Self.nanOutsideBox)
        var x: [Float] = [0, 0, 0]
        _ = optimizer.start(at: x)
        var outcome = StepOutcome.moved(loss: 0)
        for _ in 0..<10 {
            let before = x
            outcome = optimizer.step(&x)
            if outcome == .nonFinite { #expect(x == before); break }
        }
        #expect(outcome == .nonFinite)
        #expect(x.allSatisfy { $0.isFinite && abs($0) < 2 })
    }

    @Test("optimizers are deterministic")
    func deterministic() {
        let a = minimise(LBFGS(history: 5, objective: Self.rosenbrock), from: [-1.2, 1, 0.5], iterations: 30)
        let b = minimise(LBFGS(history: 5, objective: Self.rosenbrock), from: [-1.2, 1, 0.5], iterations: 30)
        #expect(a.x == b.x && a.loss == b.loss)
    }
}

import Foundation
