import Foundation
// TEMPORARY minimal contract; replaced by the weights branch on merge.
public struct ConvWeights: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let weight: [Float]
    public let bias: [Float]
    public init(outChannels: Int, inChannels: Int, weight: [Float], bias: [Float]) {
        self.outChannels = outChannels; self.inChannels = inChannels; self.weight = weight; self.bias = bias
    }
}
public struct VGGWeights: Sendable {
    public static let convNames: [String] = (1...5).flatMap { b in (1...[2, 2, 4, 4, 4][b - 1]).map { "conv\(b)_\($0)" } }
    public var convs: [String: ConvWeights]
    public var metadata: [String: String] = [:]
    public init(convs: [String: ConvWeights], metadata: [String: String] = [:]) { self.convs = convs; self.metadata = metadata }
}
extension VGGWeights { public static func loadInstalled() throws -> VGGWeights { throw NetworkError.unknownLayer(name: "weights", suggestion: "temporary") } }
