import ArgumentParser
import Foundation
import NSTGuidance
import NSTImage

/// `nst-exp mask`: builds a colour label map from JSON shapes or from colour rules on a photo.
struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Build a colour label map (PNG) from a JSON file of shapes or from colour thresholds on an image.",
        discussion: """
            Shapes:     nst-exp mask --shapes Masks/chelsea_regions.json --output Masks/chelsea_regions.png
            Thresholds: nst-exp mask --image photo.png --rule "#0000FF: b > 0.55 && b > r" --rule "green: g > r && g > b" \\
                          --background black --output photo_regions.png
            A rule is COLOUR: CONDITION; the first rule that holds colours the pixel. Conditions compare the variables
            r g b (0…1), h (hue, degrees), s v (HSV, 0…1) and y (luma) with numbers or each other (< <= > >=),
            joined by && and || (&& binds tighter). See Masks/README.md for the JSON format.
            """)

    @Option(help: "JSON file of shapes (see Masks/README.md).")
    var shapes: String?

    @Option(help: "Image to threshold with --rule.")
    var image: String?

    @Option(help: "Threshold rule COLOUR: CONDITION (repeatable, first match wins).")
    var rule: [String] = []

    @Option(help: "Colour of pixels no rule matches (threshold mode); #RRGGBB or a palette name.")
    var background: String = "black"

    @Option(help: "Output size WIDTHxHEIGHT (default: the JSON frame or the image's size).")
    var size: String?

    @Flag(inversion: .prefixedNo, help: "Anti-alias shape edges (overrides the JSON's \"antialias\").")
    var antialias: Bool?

    @Option(name: .shortAndLong, help: "Output label map (.png).")
    var output: String

    func validate() throws {
        guard (shapes == nil) != (image == nil) else { throw ValidationError("give exactly one of --shapes FILE or --image FILE") }
        if image != nil && rule.isEmpty { throw ValidationError("--image needs at least one --rule \"COLOUR: CONDITION\"") }
        if shapes != nil && !rule.isEmpty { throw ValidationError("--rule applies to --image, not to --shapes") }
        guard URL(fileURLWithPath: output).pathExtension.lowercased() == "png" else {
            throw ValidationError("--output must be a .png: JPEG compression would blur the region colours")
        }
        let inputs = [("--shapes", shapes), ("--image", image)].compactMap { role, path in path.map { (role: role, path: $0) } }
        if let collision = FileIO.firstCollision(inputs: inputs, outputs: [("--output", output)]) {
            throw ValidationError("--output \(collision.firstPath) is the same file as \(collision.second) \(collision.secondPath); "
                + "writing the label map would destroy it. Give --output another path.")
        }
    }

    func run() throws {
        let dimensions = try size.map(MaskBuilder.parseSize)
        let label: Image
        if let shapes {
            var spec = try MaskSpec.load(URL(fileURLWithPath: shapes))
            if let antialias { spec.antialias = antialias }
            label = try MaskBuilder.render(spec, width: dimensions?.width, height: dimensions?.height)
        } else if let image {
            var photo = try ImageIO.load(URL(fileURLWithPath: image))
            if let dimensions { photo = try photo.resized(width: dimensions.width, height: dimensions.height) }
            let rules = try rule.map(ThresholdRule.init(parsing:))
            label = MaskBuilder.threshold(photo, rules: rules, background: try RegionColor(parsing: background, context: "--background"))
        } else {
            return
        }
        let url = URL(fileURLWithPath: output)
        try ImageIO.save(label, to: url)
        let map = LabelMap(image: label, palette: try Palette.discover(in: label), path: output)
        print("wrote \(label.width)×\(label.height) label map \(output)")
        print(map.summary)
    }
}
