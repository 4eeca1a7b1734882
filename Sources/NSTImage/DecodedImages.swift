import Foundation

/// Decoded images shared by every `ImageIO.load` inside one scope, so checking many configurations that name the
/// same files (a sweep's validation: content, styles, init images, masks, guides) decodes each file once.
///
/// Keyed by path; the cache lives only as long as the scope (files are not expected to change within it). Images are
/// kept up to `budgetBytes` of pixels, least recently used dropped first, so a sweep over many large photos does
/// not hold them all.
public final class DecodedImages: @unchecked Sendable {
    /// The cache `ImageIO.load` consults, set by `scoped(_:)`.
    @TaskLocal static var current: DecodedImages?

    public let budgetBytes: Int
    private let lock = NSLock()
    private var images: [String: (image: Image, used: Int)] = [:]
    private var clock = 0
    /// Files decoded (cache misses) and loads answered from the cache.
    public private(set) var decoded = 0
    public private(set) var reused = 0

    public init(budgetBytes: Int = 1 << 30) { self.budgetBytes = budgetBytes }

    /// Runs `body` with every `ImageIO.load` in it (on this thread) going through this cache.
    public func scoped<T>(_ body: () throws -> T) rethrows -> T {
        try DecodedImages.$current.withValue(self) { try body() }
    }

    /// The cached image for `path`, or `decode()`'s result, cached. Errors are not cached.
    func image(at path: String, decode: () throws -> Image) throws -> Image {
        lock.lock()
        clock += 1
        if let hit = images[path] {
            images[path] = (hit.image, clock)
            reused += 1
            lock.unlock()
            return hit.image
        }
        lock.unlock()
        let image = try decode()
        lock.lock()
        defer { lock.unlock() }
        decoded += 1
        let bytes = { (image: Image) in image.pixels.count * MemoryLayout<Float>.stride }
        guard bytes(image) <= budgetBytes else { return image }
        images[path] = (image, clock)
        var total = images.values.reduce(0) { $0 + bytes($1.image) }
        while total > budgetBytes, let oldest = images.min(by: { $0.value.used < $1.value.used }) {
            total -= bytes(oldest.value.image)
            images[oldest.key] = nil
        }
        return image
    }
}
