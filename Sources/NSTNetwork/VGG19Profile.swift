/// Per-step timing (`profiling`).
extension VGG19 {
    /// Clears the accumulated per-step times.
    public func resetProfile() { profile = [] }

    func record(step s: Int, forward: UInt64, backward: UInt64) {
        if profile.count != steps.count {
            profile = steps.map { step in
                switch step {
                case .conv(let l): return (l.name, 0, 0)
                case .pool(let b): return ("pool\(b)", 0, 0)
                }
            }
        }
        profile[s].forward += Double(forward) / 1e9
        profile[s].backward += Double(backward) / 1e9
    }
}
