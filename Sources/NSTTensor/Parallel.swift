import CBLAS
import Dispatch
import Foundation

/// Static work splitting over a fixed number of workers, so results never depend on scheduling.
///
/// BLAS runs single-threaded inside each worker: we parallelize over independent output tiles
/// ourselves, which keeps both cores busy in the copies and element-wise passes too, and makes every
/// output value come from the same sequence of operations whatever the timing (bitwise determinism
/// for a given thread count).
public enum Parallel {
    /// Worker count: `NST_THREADS` if set to a positive integer, else the number of active cores. The machine's
    /// parallelism, not a run setting: results are bitwise reproducible for a given count, which every result
    /// records (`threads` of `RunEnvironment`).
    public static let workers: Int = {
        openblas_set_num_threads(1)
        if let text = ProcessInfo.processInfo.environment["NST_THREADS"], let n = Int(text), n > 0 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(task, worker)` for task in 0..<tasks; worker w takes tasks w, w+W, w+2W, …
    @inlinable
    public static func forEach(_ tasks: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        let w = min(workers, tasks)
        if w <= 1 {
            for t in 0..<tasks { body(t, 0) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            var t = worker
            while t < tasks {
                body(t, worker)
                t += w
            }
        }
    }

    /// Splits 0..<count into `parts` contiguous ranges of nearly equal length.
    @inlinable
    public static func chunk(_ index: Int, of parts: Int, count: Int) -> Range<Int> {
        let lo = count * index / parts
        let hi = count * (index + 1) / parts
        return lo..<hi
    }
}
