import Foundation

/// Where the shipped data lives. Order: an explicit path, env `FEDHDS_DATA`, a `data/` folder in
/// the working directory or one of its parents, then the `data/` folder of the source checkout this
/// module was built from.
public enum DataPaths {
    /// The data root (the folder holding `dolly/` and `natural-instructions/`).
    public static func root(explicit: String? = nil) throws -> String {
        if let explicit { return try existingFolder(explicit) }
        if let env = ProcessInfo.processInfo.environment["FEDHDS_DATA"], !env.isEmpty { return try existingFolder(env) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent("data")
            if looksLikeDataRoot(candidate.path) { return candidate.path }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        // Sources/Data/DataPaths.swift -> repository root -> data
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data")
        if looksLikeDataRoot(checkout.path) { return checkout.path }
        throw DataError.fileNotFound(
            path:
                "data/ (set FEDHDS_DATA or pass a path; looked in the working directory, its parents and \(checkout.path))"
        )
    }

    /// `<root>/dolly/databricks-dolly-15k.jsonl`.
    public static func dollyFile(root explicitRoot: String? = nil) throws -> String {
        try root(explicit: explicitRoot) + "/dolly/" + DollyLoader.fileName
    }

    /// `<root>/natural-instructions` (holding `tasks/` and `splits/`).
    public static func naturalInstructionsRoot(root explicitRoot: String? = nil) throws -> String {
        try root(explicit: explicitRoot) + "/natural-instructions"
    }

    static func looksLikeDataRoot(_ path: String) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: path + "/dolly/" + DollyLoader.fileName)
            || fm.fileExists(atPath: path + "/natural-instructions/splits")
    }

    static func existingFolder(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.fileNotFound(path: path)
        }
        return path
    }
}
