/// A label-map colour, channels in 0…1.
public struct RegionColor: Hashable, Sendable, CustomStringConvertible {
    public var red: Float
    public var green: Float
    public var blue: Float

    public init(red: Float, green: Float, blue: Float) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// The nine colour codes of deep-photo-styletransfer's `neuralstyle_seg.lua` (Luan et al. 2017), in its order.
    public static let deepPhotoPalette: [(name: String, color: RegionColor)] = [
        ("blue", RegionColor(red: 0, green: 0, blue: 1)), ("green", RegionColor(red: 0, green: 1, blue: 0)),
        ("black", RegionColor(red: 0, green: 0, blue: 0)), ("white", RegionColor(red: 1, green: 1, blue: 1)),
        ("red", RegionColor(red: 1, green: 0, blue: 0)), ("yellow", RegionColor(red: 1, green: 1, blue: 0)),
        ("grey", RegionColor(red: 0.5, green: 0.5, blue: 0.5)), ("lightblue", RegionColor(red: 0, green: 1, blue: 1)),
        ("purple", RegionColor(red: 1, green: 0, blue: 1)),
    ]

    /// Names accepted by `init(parsing:)` besides #RRGGBB.
    public static var paletteNames: [String] { deepPhotoPalette.map(\.name) }

    /// Parses "#RRGGBB", "RRGGBB", "#RGB" or a palette name ("blue", "lightblue", …; "gray" too).
    public init(parsing text: String, context: String = "a colour") throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let name = trimmed == "gray" ? "grey" : trimmed
        if let named = RegionColor.deepPhotoPalette.first(where: { $0.name == name }) {
            self = named.color
            return
        }
        var hex = Substring(trimmed)
        if hex.hasPrefix("#") { hex = hex.dropFirst() }
        if hex.count == 3 { hex = Substring(hex.map { "\($0)\($0)" }.joined()) }
        guard hex.count == 6, let value = UInt32(hex, radix: 16) else {
            throw GuidanceError.invalidColor(value: text, context: context)
        }
        self.init(red: Float((value >> 16) & 0xFF) / 255, green: Float((value >> 8) & 0xFF) / 255, blue: Float(value & 0xFF) / 255)
    }

    /// #RRGGBB, rounding each channel to 8 bits.
    public var hex: String {
        func byte(_ v: Float) -> Int { Int((min(max(v, 0), 1) * 255).rounded()) }
        let digits = [red, green, blue].map { v -> String in
            let s = String(byte(v), radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }
        return "#" + digits.joined()
    }

    /// The palette name when the colour is exactly a palette colour, else its hex code.
    public var description: String {
        RegionColor.deepPhotoPalette.first(where: { $0.color.hex == hex }).map { "\($0.name) (\(hex))" } ?? hex
    }

    /// Largest per-channel difference (Chebyshev distance). `distance < 0.1` to a palette colour reproduces the
    /// upstream thresholds exactly: <0.1 for a 0 channel, >0.9 for a 1 channel, 0.4–0.6 for a 0.5 channel.
    @inlinable public func distance(to other: RegionColor) -> Float {
        max(abs(red - other.red), abs(green - other.green), abs(blue - other.blue))
    }
}

import Foundation
