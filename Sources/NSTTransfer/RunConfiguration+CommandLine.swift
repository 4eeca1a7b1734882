import Foundation

// The key options of `nst-exp stylize`: one `--kebab-name VALUE` per entry of `RunConfiguration.table` that has a flag,
// parsed here (the command line declares none of them itself), so a new key reaches the command line with its entry.

extension RunConfiguration {
    /// `arguments` with each key option's value joined to it (`--size 256` → `--size=256`), so that a value starting
    /// with '-' (`--erosion -2`) stays a value; an option with a bare value given alone gets it (`--auto-masks` →
    /// `--auto-masks=auto`). Other arguments pass unchanged.
    public static func joiningOptionValues(_ arguments: [String]) -> [String] {
        var result: [String] = [], i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard let key = table.first(where: { $0.flag == argument }) else { result.append(argument); continue }
            let next = i < arguments.count ? arguments[i] : nil
            // An option with a bare form takes the next argument unless it is another option; a negative number
            // (`--auto-masks -2`) is its value, refused by the key's own check.
            if let bare = key.bareValue, next.map({ $0.hasPrefix("-") && Double($0) == nil }) ?? true {
                result.append("\(argument)=\(bare)")
            } else if let next, !next.hasPrefix("--") {
                result.append("\(argument)=\(next)")
                i += 1
            } else {
                result.append(argument)
            }
        }
        return result
    }

    /// This configuration with the key options in `arguments` (`--flag=value` or `--flag value`) applied in table order,
    /// whatever their order on the line: the last occurrence of an option counts, except for repeatable ones, which
    /// collect every occurrence. `otherOptions` are the command's own options, suggested for a misspelt one.
    public func applying(commandLine arguments: [String], otherOptions: [String] = []) throws -> RunConfiguration {
        let flags = RunConfiguration.table.compactMap(\.flag)
        var values: [String: [String]] = [:], i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard argument.hasPrefix("--") else {
                throw ConfigurationError.invalidValue(key: "argument", value: "\"\(argument)\"",
                                                      hint: "every value follows its option (--content image.png); see `nst-exp stylize --help`")
            }
            var flag = argument, value: String? = nil
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard let key = RunConfiguration.table.first(where: { $0.flag == flag }) else {
                throw ConfigurationError.unknownKey(path: flag, suggestion: nearest(to: flag, among: flags + otherOptions))
            }
            if value == nil, i < arguments.count, !arguments[i].hasPrefix("--") {
                value = arguments[i]
                i += 1
            }
            guard let value = value ?? key.bareValue else {
                throw ConfigurationError.invalidValue(key: flag, value: "nothing", hint: "give a value, e.g. \(flag) <\(key.valueName)>")
            }
            values[key.name, default: []].append(value)
        }
        var c = self
        for key in RunConfiguration.table {
            guard let given = values[key.name] else { continue }
            try key.parse(key.repeatable ? given : [given[given.count - 1]], &c)
        }
        return c
    }

    /// The key options with their values, help lines and defaults, one paragraph each, in table order, then the keys
    /// of the loss terms (set with `--set`), wrapped to `width` columns (so that the help does not wrap them again).
    public static func commandLineHelp(width: Int = 80) -> String {
        let terms = LossTerms.settings.map { setting in
            let help = (setting.help.hasSuffix(".") ? String(setting.help.dropLast()) : setting.help)
                + " (default: \(String(format: "%g", setting.defaultValue)))."
            return (["  --set \(setting.key)=<x>"] + wrapped(help, width: width - 7).map { "      " + $0 }).joined(separator: "\n")
        }
        return (table.compactMap { key -> String? in
            guard let flag = key.flag else { return nil }
            var help = key.help.hasSuffix(".") ? String(key.help.dropLast()) : key.help
            if !key.defaultText.isEmpty { help += " (default: \(key.defaultText))" }
            let named = flag == "--" + key.name.replacingOccurrences(of: "_", with: "-") ? "" : " (key \(key.name))"
            let head = "  \(flag) <\(key.valueName)>\(key.repeatable ? " (repeatable)" : "")\(named)"
            return ([head] + wrapped(help + ".", width: width - 7).map { "      " + $0 }).joined(separator: "\n")
        } + terms).joined(separator: "\n")
    }

    /// `text` broken at spaces into lines of at most `width` characters (longer words stay whole).
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }
}
