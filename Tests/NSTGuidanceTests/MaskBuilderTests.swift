import Foundation
import Testing
import NSTImage
@testable import NSTGuidance

@Suite struct MaskBuilderTests {
    let json = """
        { "width": 40, "height": 30, "background": "#000000", "antialias": false,
          "shapes": [
            { "type": "rectangle", "name": "box", "color": "#FF331F", "x": 2, "y": 3, "width": 10, "height": 8 },
            { "type": "ellipse", "color": "blue", "cx": 30, "cy": 15, "rx": 6, "ry": 10 },
            { "type": "polygon", "color": "#00FF00", "points": [[0, 29], [20, 18], [40, 29]] },
            { "type": "rectangle", "color": "white", "x": 28, "y": 13, "width": 4, "height": 4 } ] }
        """

    func color(_ image: Image, _ x: Int, _ y: Int) -> String {
        RegionColor(red: image[0, y, x], green: image[1, y, x], blue: image[2, y, x]).hex
    }

    @Test func shapesArePaintedInOrder() throws {
        let spec = try MaskSpec.decode(Data(json.utf8), path: "test.json")
        let image = try MaskBuilder.render(spec)
        #expect(image.width == 40 && image.height == 30 && image.channels == 3)
        for y in 3..<11 { for x in 2..<12 { #expect(color(image, x, y) == "#FF331F") } }
        #expect(color(image, 1, 5) == "#000000" && color(image, 12, 5) == "#000000" && color(image, 5, 11) == "#000000")
        #expect(color(image, 30, 8) == "#0000FF" && color(image, 23, 15) == "#000000")
        #expect(color(image, 20, 27) == "#00FF00" && color(image, 2, 20) == "#000000")
        #expect(color(image, 29, 14) == "#FFFFFF")  // drawn last, over the ellipse
        // Scaled to twice the size, the rectangle doubles.
        let big = try MaskBuilder.render(spec, width: 80, height: 60)
        #expect(color(big, 4, 6) == "#FF331F" && color(big, 23, 21) == "#FF331F" && color(big, 24, 21) == "#000000")
    }

    @Test func antialiasingBlendsEdgePixelsOnly() throws {
        var spec = try MaskSpec.decode(Data(json.utf8), path: "test.json")
        spec.antialias = true
        spec.shapes = [MaskShape(color: RegionColor(red: 1, green: 1, blue: 1), geometry: .rectangle(x: 2.5, y: 3, width: 10, height: 8))]
        let image = try MaskBuilder.render(spec)
        #expect(abs(image[0, 5, 2] - 0.5) < 1e-6 && abs(image[0, 5, 12] - 0.5) < 1e-6 && image[0, 5, 5] == 1)
        // Read back as a black-and-white label map: the half-covered columns are off-palette.
        let map = LabelMap(image: image, palette: try Palette(colors: [RegionColor(red: 0, green: 0, blue: 0),
                                                                      RegionColor(red: 1, green: 1, blue: 1)]), minimumShare: 0)
        #expect(abs((share(map, "white") ?? 0) - 72.0 / 1200) < 1e-9)
        #expect(abs(map.unmatchedShare - 16.0 / 1200) < 1e-9)
    }

    @Test func unknownKeysAreRejectedWithTheirPath() throws {
        let bad = json.replacingOccurrences(of: "\"cx\": 30", with: "\"cx\": 30, \"colour\": \"red\"")
        #expect(throws: MaskSpecError.unknownKey(path: "bad.json", keyPath: "shapes[1].colour",
                                                 allowed: ["type", "name", "color", "cx", "cy", "rx", "ry"])) {
            try MaskSpec.decode(Data(bad.utf8), path: "bad.json")
        }
        let top = json.replacingOccurrences(of: "\"antialias\"", with: "\"anti_alias\"")
        do {
            _ = try MaskSpec.decode(Data(top.utf8), path: "top.json")
            Issue.record("expected unknownKey")
        } catch let e as MaskSpecError {
            #expect(e.description.contains("'anti_alias'") && e.description.contains("top.json"))
        }
    }

    @Test func invalidValuesNameTheKey() {
        func error(_ text: String) -> String {
            do { _ = try MaskSpec.decode(Data(text.utf8), path: "s.json"); return "" } catch { return "\(error)" }
        }
        #expect(error(json.replacingOccurrences(of: "\"#FF331F\"", with: "\"#FF33\"")).contains("shapes[0].color"))
        #expect(error(json.replacingOccurrences(of: "\"rx\": 6", with: "\"rx\": 0")).contains("shapes[1].rx"))
        #expect(error(json.replacingOccurrences(of: "[[0, 29], [20, 18], [40, 29]]", with: "[[0, 29], [20, 18]]")).contains("shapes[2].points"))
        #expect(error(json.replacingOccurrences(of: "\"ellipse\"", with: "\"circle\"")).contains("rectangle, ellipse or polygon"))
        #expect(error(json.replacingOccurrences(of: "\"height\": 30", with: "\"height\": \"30\"")).contains("height"))
        #expect(error("{ \"width\": 4 ").contains("not valid JSON"))
        #expect(error("{ \"width\": 4, \"height\": 4 }").contains("missing key 'shapes'"))
    }

    @Test func thresholdRulesColourPixels() throws {
        // Sky-blue, grass-green, a grey and a red pixel.
        let photo = Image(width: 4, height: 1, channels: 3, pixels: [0.4, 0.2, 0.5, 0.9,  0.6, 0.7, 0.5, 0.1,  0.9, 0.2, 0.5, 0.1])
        let rules = try ["#0000FF: b > 0.6 && b > r", "green: g > r && g > b", "red: h < 20 && s > 0.5 || h > 340 && s > 0.5"]
            .map(ThresholdRule.init(parsing:))
        let label = MaskBuilder.threshold(photo, rules: rules, background: try RegionColor(parsing: "white"))
        #expect((0..<4).map { RegionColor(red: label[0, 0, $0], green: label[1, 0, $0], blue: label[2, 0, $0]).hex }
                == ["#0000FF", "#00FF00", "#FFFFFF", "#FF0000"])
        #expect(throws: MaskSpecError.self) { try ThresholdRule(parsing: "b > 0.6") }
        #expect(throws: MaskSpecError.self) { try ThresholdRule(parsing: "#0000FF: q > 0.6") }
        #expect(throws: MaskSpecError.self) { try ThresholdRule(parsing: "#0000FF: b = 0.6") }
        #expect(throws: MaskSpecError.self) { try ThresholdRule(parsing: "nocolour: b > 0.6") }
        #expect(try MaskBuilder.parseSize("512x384") == (512, 384))
        #expect(throws: MaskSpecError.invalidSize(value: "512")) { try MaskBuilder.parseSize("512") }
    }
}
