import Foundation
import NSTImage

/// The colours a label map is read with, and how far a pixel may stray from one and still belong to it.
public struct Palette: Equatable, Sendable {
    public var colors: [RegionColor]
    /// Maximum per-channel difference (see `RegionColor.distance`); 0.1 reproduces deep-photo-styletransfer's thresholds.
    public var tolerance: Float

    /// An explicit palette; `tolerance` must lie in (0, 1].
    public init(colors: [RegionColor], tolerance: Float = 0.1) throws {
        guard tolerance > 0, tolerance <= 1 else { throw GuidanceError.invalidTolerance(value: tolerance) }
        self.colors = colors
        self.tolerance = tolerance
    }

    /// The nine deep-photo-styletransfer colour codes with tolerance 0.1.
    public static let deepPhoto = Palette(uncheckedColors: RegionColor.deepPhotoPalette.map(\.color), tolerance: 0.1)

    init(uncheckedColors: [RegionColor], tolerance: Float) {
        colors = uncheckedColors
        self.tolerance = tolerance
    }

    /// Finds the colours of a label map: exact 8-bit colours are visited from most to least frequent, each joins the
    /// first cluster whose seed (its most frequent colour) lies within `tolerance`, else seeds a new one; clusters
    /// covering at least `minimumShare` of the pixels become the palette, most frequent first.
    public static func discover(in image: Image, tolerance: Float = 0.1, minimumShare: Double = 0.005) throws -> Palette {
        guard tolerance > 0, tolerance <= 1 else { throw GuidanceError.invalidTolerance(value: tolerance) }
        let rgb = image.toRGB()
        let plane = rgb.width * rgb.height
        var counts: [UInt32: Int] = [:]
        rgb.pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                counts[pack(p[i], p[plane + i], p[2 * plane + i]), default: 0] += 1
            }
        }
        var seeds: [(color: RegionColor, count: Int)] = []
        for (key, count) in counts.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
            let color = unpack(key)
            if let j = seeds.firstIndex(where: { $0.color.distance(to: color) < tolerance }) {
                seeds[j].count += count
            } else {
                seeds.append((color, count))
            }
        }
        let kept = seeds.filter { Double($0.count) >= minimumShare * Double(max(plane, 1)) }
            .sorted { $0.count > $1.count }.map(\.color)
        return Palette(uncheckedColors: kept, tolerance: tolerance)
    }

    static func pack(_ r: Float, _ g: Float, _ b: Float) -> UInt32 {
        func byte(_ v: Float) -> UInt32 { UInt32((min(max(v, 0), 1) * 255).rounded()) }
        return byte(r) << 16 | byte(g) << 8 | byte(b)
    }

    static func unpack(_ key: UInt32) -> RegionColor {
        RegionColor(red: Float(key >> 16 & 0xFF) / 255, green: Float(key >> 8 & 0xFF) / 255, blue: Float(key & 0xFF) / 255)
    }
}

/// One colour's region of a label map.
public struct LabeledRegion: Equatable, Sendable {
    public let color: RegionColor
    /// 1 where the pixel matches `color`, 0 elsewhere, at the label map's size.
    public var guide: Guide
    /// Share of the map's pixels in the region.
    public let share: Double
}

/// A colour-coded label map split into regions: each palette colour present is a region; pixels matching no colour
/// (anti-aliased edges) belong to none.
public struct LabelMap: Equatable, Sendable {
    /// The file it came from (for messages).
    public let path: String
    public private(set) var width: Int
    public private(set) var height: Int
    /// Regions covering at least the minimum share, in palette order.
    public private(set) var regions: [LabeledRegion]
    /// Share of the pixels in no region: off-palette edges plus regions below the minimum share.
    public let unmatchedShare: Double
    /// Palette colours present but below the minimum share, folded into the unmatched pixels.
    public let droppedColors: [(color: RegionColor, share: Double)]
    public let tolerance: Float

    /// Classifies every pixel to the nearest palette colour within the tolerance. Colours covering less than
    /// `minimumShare` (stray edge classes such as the 0.1 % grey between black and white) are treated as unmatched.
    public init(image: Image, palette: Palette, minimumShare: Double = 0.005, path: String = "<memory>") {
        let rgb = image.toRGB()
        let plane = rgb.width * rgb.height
        var labels = [Int32](repeating: -1, count: plane)
        let colors = palette.colors, tolerance = palette.tolerance
        rgb.pixels.withUnsafeBufferPointer { p in
            labels.withUnsafeMutableBufferPointer { out in
                for i in 0..<plane {
                    let pixel = RegionColor(red: p[i], green: p[plane + i], blue: p[2 * plane + i])
                    var best: Float = tolerance, bestIndex: Int32 = -1
                    for (j, c) in colors.enumerated() {
                        let d = pixel.distance(to: c)
                        if d < best { best = d; bestIndex = Int32(j) }
                    }
                    out[i] = bestIndex
                }
            }
        }
        var counts = [Int](repeating: 0, count: colors.count)
        for l in labels where l >= 0 { counts[Int(l)] += 1 }
        var regions: [LabeledRegion] = []
        var dropped: [(RegionColor, Double)] = []
        var matched = 0
        for (j, color) in colors.enumerated() where counts[j] > 0 {
            let share = Double(counts[j]) / Double(max(plane, 1))
            guard share >= minimumShare else { dropped.append((color, share)); continue }
            matched += counts[j]
            let values = labels.map { $0 == Int32(j) ? Float(1) : 0 }
            regions.append(LabeledRegion(color: color, guide: Guide(width: rgb.width, height: rgb.height, values: values), share: share))
        }
        self.path = path
        width = rgb.width
        height = rgb.height
        self.regions = regions
        unmatchedShare = plane == 0 ? 0 : 1 - Double(matched) / Double(plane)
        droppedColors = dropped
        self.tolerance = tolerance
    }

    /// Loads a PNG or JPEG label map; with no palette, the palette is discovered (`Palette.discover`).
    public static func load(_ url: URL, palette: Palette? = nil, tolerance: Float = 0.1,
                            minimumShare: Double = 0.005) throws -> LabelMap {
        let image = try ImageIO.load(url)
        let used = try palette ?? Palette.discover(in: image, tolerance: tolerance, minimumShare: minimumShare)
        let map = LabelMap(image: image, palette: used, minimumShare: minimumShare, path: url.path)
        guard !map.regions.isEmpty else {
            throw GuidanceError.noRegions(path: url.path, unmatchedShare: map.unmatchedShare, tolerance: used.tolerance)
        }
        return map
    }

    /// The region whose colour lies within the map's tolerance of `color` (the nearest if several do).
    public func region(matching color: RegionColor) -> LabeledRegion? {
        regions.filter { $0.color.distance(to: color) < tolerance }.min { $0.color.distance(to: color) < $1.color.distance(to: color) }
    }

    /// A notice about the unmatched pixels and the dropped colours, for the caller to print.
    public var summary: GuidanceNotice {
        let shares = regions.map { "\($0.color) \(String(format: "%.1f", 100 * $0.share)) %" }.joined(separator: ", ")
        var text = "\(regions.count) regions: \(shares); \(String(format: "%.1f", 100 * unmatchedShare)) % of pixels in no region"
        if !droppedColors.isEmpty {
            text += " (incl. colours below the minimum share: "
                + droppedColors.map { "\($0.color) \(String(format: "%.2f", 100 * $0.share)) %" }.joined(separator: ", ") + ")"
        }
        return GuidanceNotice(level: .notice, path: path, message: text)
    }

    /// The map resampled to an image's size (every guide area-averaged), or an error if the aspect ratios differ by > 1 %.
    public func conformed(toWidth imageWidth: Int, height imageHeight: Int) throws -> (map: LabelMap, notices: [GuidanceNotice]) {
        guard let notice = try GuideConformance.check(path: path, width: width, height: height,
                                                      imageWidth: imageWidth, imageHeight: imageHeight) else { return (self, []) }
        var copy = self
        copy.regions = try regions.map { r in
            var r = r
            r.guide = try r.guide.resampled(width: imageWidth, height: imageHeight)
            return r
        }
        copy.width = imageWidth
        copy.height = imageHeight
        return (copy, [notice])
    }

    public static func == (a: LabelMap, b: LabelMap) -> Bool {
        a.path == b.path && a.regions == b.regions && a.unmatchedShare == b.unmatchedShare
    }
}

/// The size rule for masks: equal size passes; the same aspect ratio within 1 %, or within the one pixel that rounding
/// an image's side costs (a 700×437 photo at --size 20 is 20×12, 4 % wider), is resampled with a notice; anything
/// else is an error naming both sizes.
public enum GuideConformance {
    /// Largest relative aspect-ratio difference that is resampled rather than refused.
    public static let aspectTolerance = 0.01

    /// Whether a `width`×`height` picture can be resampled to `imageWidth`×`imageHeight` without distorting it: the
    /// aspect ratios agree within `aspectTolerance`, or the picture scaled to the image's width (or height) is off by
    /// at most the one pixel rounding costs.
    public static func sameShape(width: Int, height: Int, imageWidth: Int, imageHeight: Int) -> Bool {
        guard width > 0, height > 0, imageWidth > 0, imageHeight > 0 else { return false }
        let aspect = Double(width) / Double(height), imageAspect = Double(imageWidth) / Double(imageHeight)
        return abs(aspect - imageAspect) <= aspectTolerance * imageAspect
            || abs(Double(height) * Double(imageWidth) / Double(width) - Double(imageHeight)) <= 1
            || abs(Double(width) * Double(imageHeight) / Double(height) - Double(imageWidth)) <= 1
    }

    /// nil when the sizes agree, a notice when resampling is acceptable; throws `GuidanceError.sizeMismatch` otherwise.
    public static func check(path: String, width: Int, height: Int, imageWidth: Int, imageHeight: Int) throws -> GuidanceNotice? {
        if width == imageWidth && height == imageHeight { return nil }
        guard sameShape(width: width, height: height, imageWidth: imageWidth, imageHeight: imageHeight) else {
            throw GuidanceError.sizeMismatch(path: path, maskWidth: width, maskHeight: height,
                                             imageWidth: imageWidth, imageHeight: imageHeight)
        }
        return GuidanceNotice(level: .notice, path: path,
                              message: "mask is \(width)×\(height), image is \(imageWidth)×\(imageHeight): resampled the mask to the image size")
    }

    /// Loads a greyscale (or RGB, reduced to grey) mask and resamples it to the image size under the size rule;
    /// an empty mask yields a warning.
    public static func loadMask(_ url: URL, imageWidth: Int, imageHeight: Int) throws -> (guide: Guide, notices: [GuidanceNotice]) {
        var guide = Guide(mask: try ImageIO.load(url))
        var notices: [GuidanceNotice] = []
        if let n = try check(path: url.path, width: guide.width, height: guide.height, imageWidth: imageWidth, imageHeight: imageHeight) {
            guide = try guide.resampled(width: imageWidth, height: imageHeight)
            notices.append(n)
        }
        if guide.isEmpty {
            notices.append(GuidanceNotice(level: .warning, path: url.path, message: "the mask is empty (all black): its region gets no style"))
        }
        return (guide, notices)
    }
}
