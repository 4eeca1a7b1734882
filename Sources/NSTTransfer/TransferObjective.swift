import Dispatch
import NSTGuidance
import NSTNetwork
import NSTTensor

/// One weighted loss value at one layer, for the per-layer columns of the loss log.
public struct LayerLoss: Equatable, Sendable {
    /// The term's name (`content`, `style`, …).
    public let term: String
    public let layer: LayerName
    public var value: Float

    /// Column name in the loss log, e.g. `style_relu1_1`.
    public var columnName: String { "\(term)_\(layer)" }
}

/// The weighted value of one term in one evaluation.
public struct TermValue: Equatable, Sendable {
    public let name: String
    public var value: Float
}

/// The weighted terms of one evaluation, in objective order (content, style, tv, then any other term the run uses),
/// and their per-layer parts.
public struct LossBreakdown: Equatable, Sendable {
    public var terms: [TermValue] = []
    public var layers: [LayerLoss] = []
    /// L = Σ_t L_t, summed in objective order.
    public var total: Float { terms.reduce(0) { $0 + $1.value } }

    public init(terms: [TermValue] = [], layers: [LayerLoss] = []) {
        self.terms = terms
        self.layers = layers
    }

    /// The weighted value of the term called `name`; 0 when the objective has no such term.
    public subscript(term name: String) -> Float { terms.first { $0.name == name }?.value ?? 0 }
    /// α·L_c.
    public var content: Float { self[term: "content"] }
    /// β·L_s.
    public var style: Float { self[term: "style"] }
    /// γ·L_tv.
    public var tv: Float { self[term: "tv"] }
}

/// The style-transfer objective L(x) = Σ_t L_t(x) over the terms of `LossTerms.registered` that the run uses
/// (α·L_c + β·L_s + γ·L_tv, and λ·L_m with photorealism) on a network-space image x (3×H×W), with its gradient from one
/// VGG-19 forward and backward pass.
public final class TransferObjective {
    public let network: VGG19
    public let width: Int
    public let height: Int
    /// Layers the forward pass computes, in network order.
    public let layers: [LayerName]
    /// The terms, in objective order.
    public let terms: [LossTerm]
    /// For each layer, the (term, term's layer index, per-layer column) triples that read it, in term order.
    private let slots: [LayerName: [(term: Int, index: Int, column: Int)]]
    /// The breakdown of the most recent evaluation.
    public private(set) var lastBreakdown = LossBreakdown()
    /// Number of evaluations so far (forward + backward passes).
    public private(set) var evaluations = 0
    /// Seconds spent in each term's `evaluate(image:)` so far, by term index (layer terms run inside the backward).
    public private(set) var imageTermSeconds: [Double]

    /// Builds the objective: P_l from `content`, A_l^k from each of `styles` (network space), weights from `plan`.
    /// With `targets`, P_l and A_l are looked up there (and computed once) instead of recomputed for every run.
    /// With `guided` (spatial control), its guided style layers replace the plain Gram terms and its per-region
    /// content weights, if any, the plain content terms; the plain style targets are then not computed.
    public init(network: VGG19, content: FeatureMap, styles: [FeatureMap], plan: RunPlan, targets: TargetCache? = nil,
                guided: GuidedObjectiveTerms? = nil) {
        self.network = network
        self.width = content.width
        self.height = content.height
        self.layers = plan.requestedLayers
        let context = LossTermContext(network: network, plan: plan, content: content, styles: styles, targets: targets, guided: guided)
        // RunPlan has checked every key the terms read, so building them cannot fail.
        terms = LossTerms.registered.compactMap { kind in
            do { return try kind.make(context) } catch { preconditionFailure("loss term \(kind.name): \(error)") }
        }
        var slots: [LayerName: [(term: Int, index: Int, column: Int)]] = [:]
        var layerLosses: [LayerLoss] = []
        for (t, term) in terms.enumerated() {
            for (i, layer) in term.layers.enumerated() {
                slots[layer, default: []].append((t, i, layerLosses.count))
                layerLosses.append(LayerLoss(term: term.name, layer: layer, value: 0))
            }
        }
        self.slots = slots
        imageTermSeconds = Array(repeating: 0, count: terms.count)
        lastBreakdown = LossBreakdown(terms: terms.map { TermValue(name: $0.name, value: 0) }, layers: layerLosses)
    }

    /// L(x); writes ∇L into `gradient`. Usable directly as an `Objective`.
    ///
    /// Each layer term's value and gradient are computed when the backward pass reaches its layer, adding the gradient
    /// straight into the buffer that carries the backward, so no per-layer gradient map is stored; image terms then add
    /// theirs to the input gradient.
    public func evaluate(_ x: [Float], _ gradient: inout [Float]) -> Float {
        evaluations += 1
        let input = FeatureMap(channels: 3, height: height, width: width, data: x)
        var breakdown = lastBreakdown
        for t in breakdown.terms.indices { breakdown.terms[t].value = 0 }
        let features = network.forward(input, layers: layers)
        var dx = network.backward(at: layers) { layer, g in
            guard let f = features[layer], let here = slots[layer] else { return }
            for slot in here {
                let value = terms[slot.term].evaluate(layer: slot.index, features: f, gradient: g)
                breakdown.terms[slot.term].value += value
                breakdown.layers[slot.column].value = value
            }
        }
        for (t, term) in terms.enumerated() where term.layers.isEmpty {
            let start = DispatchTime.now().uptimeNanoseconds
            breakdown.terms[t].value += term.evaluate(image: input, gradient: &dx)
            imageTermSeconds[t] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        lastBreakdown = breakdown
        if gradient.count == dx.count {
            gradient.withUnsafeMutableBufferPointer { out in
                dx.data.withUnsafeBufferPointer { src in _ = out.update(fromContentsOf: src) }
            }
        } else {
            gradient = dx.data
        }
        return breakdown.total
    }

    /// The objective as a closure for the optimizers.
    public var closure: Objective {
        { [unowned self] x, gradient in self.evaluate(x, &gradient) }
    }
}
