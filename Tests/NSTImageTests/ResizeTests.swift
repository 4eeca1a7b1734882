import Foundation
import Testing
@testable import NSTImage

@Suite("Resizing and conversions")
struct ResizeTests {
    @Test("area averaging and bicubic keep a constant image constant, also with one axis shrinking and one growing",
          arguments: [(50, 30, 17, 11), (50, 30, 80, 13), (7, 9, 7, 40)])
    func constantStaysConstant(size: (Int, Int, Int, Int)) throws {
        let image = Image(width: size.0, height: size.1, channels: 3,
                          pixels: [Float](repeating: 0.37, count: size.0 * size.1 * 3))
        let resized = try image.resized(width: size.2, height: size.3)
        #expect((resized.width, resized.height, resized.channels) == (size.2, size.3, 3))
        #expect(resized.pixels.allSatisfy { abs($0 - 0.37) < 1e-6 })
    }

    @Test("shrinking by an integer factor gives the block means")
    func blockMeans() throws {
        let image = randomImage(width: 12, height: 9, channels: 3, seed: 3)
        let small = try image.resized(width: 4, height: 3)
        for c in 0..<3 {
            for y in 0..<3 {
                for x in 0..<4 {
                    var sum: Float = 0
                    for dy in 0..<3 { for dx in 0..<3 { sum += image[c, 3 * y + dy, 3 * x + dx] } }
                    #expect(abs(small[c, y, x] - sum / 9) < 1e-6)
                }
            }
        }
    }

    @Test("a fractional shrink weights partly covered pixels by their coverage")
    func fractionalCoverage() throws {
        let image = Image(width: 3, height: 1, channels: 1, pixels: [0.9, 0.3, 0.6])
        let resized = try image.resized(width: 2, height: 1, filter: .area)
        // Each output covers 1.5 source pixels: a + b/2 and b/2 + c, divided by 1.5.
        #expect(abs(resized.pixels[0] - (0.9 + 0.15) / 1.5) < 1e-6)
        #expect(abs(resized.pixels[1] - (0.15 + 0.6) / 1.5) < 1e-6)
    }

    @Test("enlarging a linear ramp stays linear between the outermost pixel centres",
          arguments: [ResizeFilter.bilinear, .bicubic])
    func rampStaysLinear(filter: ResizeFilter) throws {
        let n = 10, m = 27
        let ramp = Image(width: n, height: 2, channels: 1, pixels: (0..<(2 * n)).map { Float($0 % n) / Float(n - 1) * 0.8 + 0.1 })
        let big = try ramp.resized(width: m, height: 5, filter: filter)
        // Output x sits at source coordinate (x + 0.5)·n/m − 0.5; cubic taps reach one pixel further on each side.
        let margin = filter == .bicubic ? 1.0 : 0.0
        var checked = 0
        for x in 0..<m {
            let source = (Double(x) + 0.5) * Double(n) / Double(m) - 0.5
            guard source >= margin, source <= Double(n - 1) - margin else { continue }
            let expected = Float(source / Double(n - 1) * 0.8 + 0.1)
            for y in 0..<5 { #expect(abs(big[0, y, x] - expected) < 1e-5) }
            checked += 1
        }
        #expect(checked > m / 2)
    }

    @Test("bicubic overshoot at a hard edge is clamped to 0...1")
    func bicubicClamps() throws {
        let edge = Image(width: 4, height: 1, channels: 1, pixels: [0, 0, 1, 1])
        let big = try edge.resized(width: 16, height: 1, filter: .bicubic)
        #expect(big.pixels.allSatisfy { (0...1).contains($0) })
        #expect(big.pixels.contains { $0 > 0.1 && $0 < 0.9 })
    }

    @Test("longestSide and pixelCount keep the aspect ratio")
    func aspectHelpers() throws {
        let landscape = Image(width: 1024, height: 768, channels: 1)
        let byLongest = try landscape.resized(longestSide: 512)
        #expect((byLongest.width, byLongest.height) == (512, 384))
        let portrait = Image(width: 300, height: 1000, channels: 3)
        let tall = try portrait.resized(longestSide: 250)
        #expect((tall.width, tall.height) == (75, 250))
        let byCount = try landscape.resized(pixelCount: 1024 * 768 / 16)
        #expect((byCount.width, byCount.height) == (256, 192))
        let grown = try portrait.resized(pixelCount: 1_200_000)
        #expect((grown.width, grown.height) == (600, 2000))
    }

    @Test("invalid sizes and resize targets throw typed errors")
    func invalidSizes() {
        let image = Image(width: 4, height: 4, channels: 1)
        #expect(throws: ImageError.invalidSize(width: 0, height: 3)) { try image.resized(width: 0, height: 3) }
        #expect(throws: ImageError.invalidResizeTarget(parameter: "longestSide", value: -1)) {
            try image.resized(longestSide: -1)
        }
        #expect(throws: ImageError.invalidResizeTarget(parameter: "pixelCount", value: 0)) {
            try image.resized(pixelCount: 0)
        }
    }

    @Test("toGrey uses Rec. 601 weights; toRGB replicates the plane")
    func colourConversions() {
        let rgb = Image(width: 2, height: 1, channels: 3, pixels: [1, 0.2, 0, 0.4, 0, 0.6])
        let grey = rgb.toGrey()
        #expect(grey.channels == 1)
        #expect(abs(grey.pixels[0] - 0.299) < 1e-6)
        #expect(abs(grey.pixels[1] - (0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6)) < 1e-6)
        let back = grey.toRGB()
        #expect(back.channels == 3)
        #expect(back.pixels == grey.pixels + grey.pixels + grey.pixels)
        #expect(rgb.toRGB() == rgb)
    }

    @Test("crop copies the rectangle from every channel and rejects rectangles outside the image")
    func crop() throws {
        let image = Image(width: 5, height: 4, channels: 3, pixels: (0..<60).map(Float.init))
        let part = try image.cropped(x: 1, y: 2, width: 3, height: 2)
        #expect(part.pixels == [11, 12, 13, 16, 17, 18, 31, 32, 33, 36, 37, 38, 51, 52, 53, 56, 57, 58])
        #expect(throws: ImageError.self) { try image.cropped(x: 3, y: 0, width: 3, height: 1) }
        #expect(throws: ImageError.self) { try image.cropped(x: -1, y: 0, width: 1, height: 1) }
        #expect(throws: ImageError.self) { try image.cropped(x: 0, y: 0, width: 0, height: 1) }
    }
}
