import NSTNetwork

/// How a guide is carried from image resolution down to each VGG layer (Gatys et al. 2016, Sec. 3 "Spatial control").
public enum PropagationMode: String, Codable, Sendable, CaseIterable {
    /// Area-resample the guide to the layer's size.
    case simple
    /// A position counts only if its whole receptive field lies inside the region: min over each 3×3 conv window
    /// and each 2×2 pooling window.
    case inside
    /// A position counts if its receptive field touches the region: max instead of min.
    case all
    /// Soft guides: the mean over each 3×3 conv window and each 2×2 pooling window, so a position's value is the share
    /// of its (effective, Gaussian-like) receptive field inside the region: about the mask blurred by σ ≈ 15 px at
    /// relu4_1 and 20 px at relu5_1. Positions across a boundary count for both regions with weight T².
    case soft
    /// `inside` where it keeps at least half of the region (`simple`'s mass at that layer); at layers where it would
    /// keep less, `simple`'s guide eroded by as many positions as keep at least half. Erosion that stops before a
    /// region vanishes: shallow layers lose the band whose receptive field straddles the boundary, deep layers keep
    /// the region's core.
    case adaptive

    /// The default for a run, whatever the number of style images: `simple`, chosen by measurement on the nine
    /// deep-photo-styletransfer pairs at 256 px (README, "Choosing the propagation"): it places every region best
    /// (`Placement`) and leaves the least boundary deviation; `inside` empties relu4_1/relu5_1 at such sizes and places
    /// regions about 2× where `simple` reaches 4–31× (geometric means per pair).
    public static func defaultMode(styleImageCount: Int) -> PropagationMode { .simple }
}

/// Carries guides from the input image to VGG-19 layers.
public struct GuidePropagation: Hashable, Sendable {
    public var mode: PropagationMode
    /// Extra morphology at each layer's resolution: k > 0 erodes by k positions (k passes of a 3×3 min), k < 0 dilates
    /// by |k| (3×3 max). Soft guides are eroded and dilated on their values.
    public var erosion: Int

    public init(mode: PropagationMode, erosion: Int = 0) {
        self.mode = mode
        self.erosion = erosion
    }

    /// The guide at each requested layer, for an input of the guide's size. conv and relu of one index share a
    /// resolution and a receptive field; pool layers see the guide after their pooling.
    public func propagate(_ guide: Guide, to layers: [LayerName]) -> [LayerName: Guide] {
        guard let deepest = layers.max() else { return [:] }
        var result: [LayerName: Guide] = [:]
        switch mode {
        case .simple:
            for layer in layers {
                let (h, w) = GuidePropagation.layerSize(of: layer, height: guide.height, width: guide.width)
                result[layer] = morphed(GuidePropagation.areaResampled(guide, width: w, height: h))
            }
        case .inside, .all:
            let reduce: (Float, Float) -> Float = mode == .inside ? { min($0, $1) } : { max($0, $1) }
            var current = guide
            for layer in LayerName.all where layer <= deepest {
                switch layer.kind {
                case .conv: current = GuidePropagation.window3x3(current, reduce)
                case .relu: break
                case .pool: current = GuidePropagation.pool2x2(current, reduce)
                }
                if layers.contains(layer) { result[layer] = morphed(current) }
            }
        case .soft:
            var current = guide
            for layer in LayerName.all where layer <= deepest {
                switch layer.kind {
                case .conv: current = GuidePropagation.windowMean3x3(current)
                case .relu: break
                case .pool: current = GuidePropagation.areaResampled(current, width: current.width / 2, height: current.height / 2)
                }
                if layers.contains(layer) { result[layer] = morphed(current) }
            }
        case .adaptive:
            let inside = GuidePropagation(mode: .inside).propagate(guide, to: layers)
            let simple = GuidePropagation(mode: .simple).propagate(guide, to: layers)
            for layer in layers {
                guard let s = simple[layer] else { continue }
                let half = 0.5 * s.mass
                if let i = inside[layer], i.mass >= half, !i.isEmpty {
                    result[layer] = morphed(i)
                    continue
                }
                var g = s
                while true {
                    let next = GuidePropagation.window3x3(g, { min($0, $1) })
                    guard next.mass >= half, !next.isEmpty, next != g else { break }
                    g = next
                }
                result[layer] = morphed(g)
            }
        }
        return result
    }

    /// Propagates several guides (one per region) to the same layers: result[layer][region].
    public func propagate(_ guides: [Guide], to layers: [LayerName]) -> [LayerName: [Guide]] {
        var result: [LayerName: [Guide]] = [:]
        for g in guides {
            for (layer, t) in propagate(g, to: layers) { result[layer, default: []].append(t) }
        }
        return result
    }

    func morphed(_ g: Guide) -> Guide {
        var g = g
        for _ in 0..<abs(erosion) {
            g = GuidePropagation.window3x3(g, erosion > 0 ? { min($0, $1) } : { max($0, $1) })
        }
        return g
    }

    /// (height, width) of a layer's maps for an input of height×width: halved (floor) by every pooling before it.
    public static func layerSize(of layer: LayerName, height: Int, width: Int) -> (height: Int, width: Int) {
        let pools = layer.kind == .pool ? layer.block : layer.block - 1
        return (height >> pools, width >> pools)
    }

    /// Exact area averaging. The pooled maps drop odd trailing rows (floor mode), so the region of the input the
    /// layer sees is the top-left (size·2^p) block, which is what gets averaged.
    static func areaResampled(_ g: Guide, width w: Int, height h: Int) -> Guide {
        guard w > 0, h > 0 else { return Guide(width: max(w, 0), height: max(h, 0)) }
        let fy = g.height / h, fx = g.width / w
        var out = Guide(width: w, height: h)
        let scale = 1 / Float(fx * fy)
        g.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for yy in (y * fy)..<((y + 1) * fy) {
                            for xx in (x * fx)..<((x + 1) * fx) { sum += src[yy * g.width + xx] }
                        }
                        dst[y * w + x] = sum * scale
                    }
                }
            }
        }
        return out
    }

    /// The 3×3 neighbourhood reduced with `reduce`; the window is clipped at the borders, since zero padding
    /// contributes no image content to the receptive field.
    static func window3x3(_ g: Guide, _ reduce: (Float, Float) -> Float) -> Guide {
        let w = g.width, h = g.height
        var rows = g
        var out = g
        g.values.withUnsafeBufferPointer { src in
            rows.values.withUnsafeMutableBufferPointer { tmp in
                for y in 0..<h {
                    for x in 0..<w {
                        var v = src[y * w + x]
                        if x > 0 { v = reduce(v, src[y * w + x - 1]) }
                        if x + 1 < w { v = reduce(v, src[y * w + x + 1]) }
                        tmp[y * w + x] = v
                    }
                }
            }
        }
        rows.values.withUnsafeBufferPointer { tmp in
            out.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        var v = tmp[y * w + x]
                        if y > 0 { v = reduce(v, tmp[(y - 1) * w + x]) }
                        if y + 1 < h { v = reduce(v, tmp[(y + 1) * w + x]) }
                        dst[y * w + x] = v
                    }
                }
            }
        }
        return out
    }

    /// The mean over each 3×3 neighbourhood, clipped at the borders (as `window3x3`: padding carries no content).
    static func windowMean3x3(_ g: Guide) -> Guide {
        let w = g.width, h = g.height
        var out = g
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0, n: Float = 0
                for yy in max(0, y - 1)...min(h - 1, y + 1) {
                    for xx in max(0, x - 1)...min(w - 1, x + 1) { sum += g[yy, xx]; n += 1 }
                }
                out[y, x] = sum / n
            }
        }
        return out
    }

    /// 2×2, stride 2, floor mode (as `Pool2x2`).
    static func pool2x2(_ g: Guide, _ reduce: (Float, Float) -> Float) -> Guide {
        let h = g.height / 2, w = g.width / 2
        var out = Guide(width: w, height: h)
        for y in 0..<h {
            for x in 0..<w {
                out[y, x] = reduce(reduce(g[2 * y, 2 * x], g[2 * y, 2 * x + 1]), reduce(g[2 * y + 1, 2 * x], g[2 * y + 1, 2 * x + 1]))
            }
        }
        return out
    }
}
