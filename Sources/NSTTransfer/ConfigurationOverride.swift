import Foundation

extension RunConfiguration {
    /// This configuration with `key=value` overrides applied in order, as if each key were written in a configuration
    /// file after the others (the value is JSON, else a string): `--set photorealism_weight=1e4`.
    public func setting(_ overrides: [String]) throws -> RunConfiguration {
        guard !overrides.isEmpty else { return self }
        var object = (try JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any]) ?? [:]
        for text in overrides {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ConfigurationError.invalidValue(key: "--set", value: text, hint: "write key=value, e.g. photorealism_weight=1e4")
            }
            let key = String(text[..<equals]), raw = String(text[text.index(after: equals)...])
            guard RunConfiguration.keys.contains(key) else {
                throw ConfigurationError.unknownKey(path: key, suggestion: nearest(to: key, among: RunConfiguration.keys))
            }
            object[key] = (try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: .fragmentsAllowed)) ?? raw
        }
        return try RunConfiguration.decode(from: JSONSerialization.data(withJSONObject: object), source: "--set")
    }
}
