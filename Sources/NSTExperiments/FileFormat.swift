/// The `format_version` field of the JSON files a sweep folder holds (`plan.json`, each run's `status.json`) and of
/// `bench --json`. Each file has one Codable model that both its writer and its readers use (`PlanFile`, `RunRecord`,
/// `StepBenchmark.Result`); the model's `formatVersion` is the version it writes.
///
/// Adding a field that old readers can skip (a new optional key) keeps the version: decode it with `decodeIfPresent`,
/// so files written before it still read. A change that old readers would misread (a key renamed, a meaning changed)
/// raises the model's version, and its decoder reads the older versions it knows. Files written before the field
/// existed read as version 1.
public enum FileFormat {
    /// The JSON key of the version.
    public static let versionKey = "format_version"

    /// The version recorded under `key` (1 when absent); throws `NewerFormatError` when it is newer than `newest`, the
    /// version this build writes, since a newer nst-exp wrote the file and this one could misread it.
    static func version<Key: CodingKey>(in container: KeyedDecodingContainer<Key>, forKey key: Key, newest: Int) throws -> Int {
        let version = try container.decodeIfPresent(Int.self, forKey: key) ?? 1
        guard version >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "format_version \(version) is not a version (1, 2, …)")
        }
        guard version <= newest else { throw NewerFormatError(path: "", version: version, newest: newest) }
        return version
    }
}

/// A file written in a newer format than this build reads. The decoder throws it without a path; the reader that
/// opened the file sets `path`.
public struct NewerFormatError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public let version: Int
    public let newest: Int

    public var description: String {
        "\(path.isEmpty ? "the file" : path) has format_version \(version), newer than this nst-exp reads (up to \(newest)): "
            + "a newer nst-exp wrote it. Read it with that nst-exp, or update this one; the file was left as it is."
    }
}
