/// "Did you mean …?" hints for misspelt layer names, configuration keys and sweep keys.
public enum NameSuggestion {
    /// The candidate with the smallest Levenshtein distance to `word`, case-insensitive (ties: the first);
    /// nil if there are no candidates.
    public static func nearest(to word: String, among candidates: [String]) -> String? {
        let target = Array(word.lowercased())
        return candidates.min { distance(Array($0.lowercased()), target) < distance(Array($1.lowercased()), target) }
    }

    /// Levenshtein edit distance: insertions, deletions and substitutions of one character each cost 1.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
