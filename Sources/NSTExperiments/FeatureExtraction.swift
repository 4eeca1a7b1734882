import Foundation
import NSTImage
import NSTNetwork
import NSTTensor

/// Extracts VGG-19 activations of one image: statistics per layer and, optionally, a picture of the most
/// active channels of each layer, to see what the network responds to at each depth.
public enum FeatureExtraction {
    /// Figures for one layer's activations.
    public struct LayerSummary: Codable, Sendable, Equatable {
        public var layer: String
        public var channels: Int
        public var height: Int
        public var width: Int
        public var mean: Double
        public var max: Double
        /// Share of positive values (after ReLU, the share of active units).
        public var activeFraction: Double
        /// Channels shown in the mosaic, most active first.
        public var shownChannels: [Int]
    }

    /// Loads `image`, scales its longest side to `size` (nil keeps it), runs the network to the deepest layer
    /// and summarizes each requested layer. With `output`, writes `<layer>.png` mosaics and `features.json`.
    public static func run(image: URL, size: Int?, layers: [LayerName], network: VGG19,
                           output: URL?) throws -> [LayerSummary] {
        var picture = try ImageIO.load(image)
        if let size { picture = try picture.resized(longestSide: size) }
        try VGG19.validate(width: picture.width, height: picture.height, layers: layers)
        let features = network.forward(VGGInput.fromImage(picture), layers: layers)
        var summaries: [LayerSummary] = []
        for layer in layers {
            guard let map = features[layer] else { continue }
            let summary = summarize(map, layer: layer)
            summaries.append(summary)
            if let output {
                try FileIO.makeFolder(output.path)
                try ImageIO.save(mosaic(map, channels: summary.shownChannels),
                                 to: output.appendingPathComponent("\(layer).png"))
            }
        }
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileIO.write(try encoder.encode(summaries), to: output.appendingPathComponent("features.json").path)
        }
        return summaries
    }

    static func summarize(_ map: FeatureMap, layer: LayerName, shown: Int = 16) -> LayerSummary {
        var channelMeans = [Double](repeating: 0, count: map.channels)
        var total = 0.0, peak = -Double.infinity, active = 0
        for c in 0..<map.channels {
            var s = 0.0
            for v in map.data[(c * map.plane)..<((c + 1) * map.plane)] {
                s += Double(v)
                peak = max(peak, Double(v))
                if v > 0 { active += 1 }
            }
            channelMeans[c] = s / Double(map.plane)
            total += s
        }
        let order = channelMeans.indices.sorted { channelMeans[$0] > channelMeans[$1] || (channelMeans[$0] == channelMeans[$1] && $0 < $1) }
        return LayerSummary(layer: layer.description, channels: map.channels, height: map.height, width: map.width,
                            mean: total / Double(map.count), max: peak, activeFraction: Double(active) / Double(map.count),
                            shownChannels: Array(order.prefix(shown)))
    }

    /// Grey mosaic of `channels` (each scaled to its own maximum) on a square grid, tiles of at least 96 px.
    static func mosaic(_ map: FeatureMap, channels: [Int]) throws -> Image {
        let columns = Int(Double(channels.count).squareRoot().rounded(.up))
        let rows = (channels.count + columns - 1) / columns
        let scale = max(1, 96 / max(1, min(map.width, map.height)))
        let tw = map.width * scale, th = map.height * scale, gap = 2
        var out = Image(width: columns * (tw + gap) - gap, height: rows * (th + gap) - gap, channels: 1,
                        pixels: [Float](repeating: 1, count: (columns * (tw + gap) - gap) * (rows * (th + gap) - gap)))
        for (k, c) in channels.enumerated() {
            let plane = map.data[(c * map.plane)..<((c + 1) * map.plane)]
            let top = max(plane.max() ?? 0, 1e-12)
            let ox = (k % columns) * (tw + gap), oy = (k / columns) * (th + gap)
            for y in 0..<th {
                for x in 0..<tw {
                    out[0, oy + y, ox + x] = max(0, map[c, y / scale, x / scale]) / top
                }
            }
        }
        return out
    }
}
