import ArgumentParser
import NSTImage

/// Refuses, as a usage error before any work, a file a command would write that it also reads, or writes under another
/// option (`FileIO.firstCollision`: the same file after links, `..` and hard links); `what` is what the command writes
/// there ("the label map").
func refuseCollision(inputs: [(role: String, path: String)], outputs: [(role: String, path: String)], writing what: String) throws {
    guard let collision = FileIO.firstCollision(inputs: inputs, outputs: outputs) else { return }
    throw ValidationError("\(collision.first) \(collision.firstPath) is the same file as \(collision.second) \(collision.secondPath); "
        + "writing \(what) would destroy it. Give \(collision.first) another path.")
}

/// Refuses, as a usage error before any work, an output that cannot be written (`FileIO.checkWritable`: a missing or
/// read-only folder, a directory), instead of failing once the work is done.
func refuseUnwritable(_ outputs: [(role: String, path: String)]) throws {
    for (role, path) in outputs {
        do { try FileIO.checkWritable(path) } catch let error as FileIOError {
            throw ValidationError("\(role) \(path): \(error.reason)")
        }
    }
}
