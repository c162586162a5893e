import Foundation
import Transport

/// CURVE keys on disk, in the files `fedhds keys generate --out PATH` writes (PATH.secret holds
/// `public_key` and `secret_key`, PATH.pub holds `public_key`, Z85):
///     server.pub  server.secret          the server's pair
///     workers/<name>.pub                 the allow-list: a worker's public key, named by file
///     <name>.pub  <name>.secret          a worker's own pair (on the worker's machine)
/// A worker whose key is not in workers/ is refused by the server's ZAP handler.
public enum KeyFolder {
    static func read(_ url: URL, _ field: String = "public_key") throws -> String {
        guard let s = try? String(contentsOf: url, encoding: .utf8) else {
            throw ActorsError.storage("cannot read key \(url.path)")
        }
        for line in s.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, parts[0] == field {
                return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        throw ActorsError.storage("\(url.path) holds no \(field)")
    }

    /// A warning when the secret key file `name`.secret in `dir` can be read by other users (it
    /// should be 0600), nil otherwise.
    public static func permissionWarning(_ dir: String, name: String) -> String? {
        let path = URL(fileURLWithPath: dir, isDirectory: true).appendingPathComponent("\(name).secret").path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
        else { return nil }
        return
            "warning: the secret key \(path) is readable by other users (mode \(String(mode, radix: 8))); run chmod 600 on it"
    }

    static func write(_ k: CurveKeyPair, secret: URL, pub: URL) throws {
        try AtomicFile.write(
            Data(
                "# fedhds CURVE key pair: keep this file secret\npublic_key = \"\(k.publicKey)\"\nsecret_key = \"\(k.secretKey)\"\n"
                    .utf8), to: secret)
        chmod(secret.path, 0o600)
        try AtomicFile.write(Data("public_key = \"\(k.publicKey)\"\n".utf8), to: pub)
    }

    /// Makes the server's pair (if missing) and a pair for each named worker (if missing), with
    /// the workers' public keys on the allow-list.
    public static func create(_ dir: String, workers: [String]) throws {
        let d = URL(fileURLWithPath: dir, isDirectory: true)
        let fm = FileManager.default
        do {
            if !fm.fileExists(atPath: d.appendingPathComponent("server.secret").path) {
                try write(
                    try CurveKeyPair.generate(), secret: d.appendingPathComponent("server.secret"),
                    pub: d.appendingPathComponent("server.pub"))
            }
            for w in workers where !fm.fileExists(atPath: d.appendingPathComponent("\(w).secret").path) {
                try write(
                    try CurveKeyPair.generate(), secret: d.appendingPathComponent("\(w).secret"),
                    pub: d.appendingPathComponent("\(w).pub"))
                try FileManager.default.createDirectory(
                    at: d.appendingPathComponent("workers"), withIntermediateDirectories: true)
                try AtomicFile.write(
                    try Data(contentsOf: d.appendingPathComponent("\(w).pub")),
                    to: d.appendingPathComponent("workers/\(w).pub"))
            }
        } catch let e as ActorsError { throw e } catch {
            throw ActorsError.storage("cannot make CURVE keys in \(dir): \(error)")
        }
    }

    public static func server(_ dir: String) throws -> CurveServerOptions {
        let d = URL(fileURLWithPath: dir, isDirectory: true)
        let allowDir = d.appendingPathComponent("workers")
        var allow: [String: String] = [:]
        for f in ((try? FileManager.default.contentsOfDirectory(atPath: allowDir.path)) ?? []).sorted()
        where f.hasSuffix(".pub") {
            allow[try read(allowDir.appendingPathComponent(f))] = String(f.dropLast(4))
        }
        do {
            let secret = d.appendingPathComponent("server.secret")
            let keys = try CurveKeyPair(publicKey: try read(secret), secretKey: try read(secret, "secret_key"))
            return try CurveServerOptions(keys: keys, allowList: allow)
        } catch let e as ActorsError { throw e } catch {
            throw ActorsError.invalidConfiguration("CURVE keys in \(dir): \(error)")
        }
    }

    public static func worker(_ dir: String, name: String) throws -> CurveClientOptions {
        let d = URL(fileURLWithPath: dir, isDirectory: true)
        do {
            let secret = d.appendingPathComponent("\(name).secret")
            let keys = try CurveKeyPair(publicKey: try read(secret), secretKey: try read(secret, "secret_key"))
            return try CurveClientOptions(keys: keys, serverPublicKey: try read(d.appendingPathComponent("server.pub")))
        } catch let e as ActorsError { throw e } catch {
            throw ActorsError.invalidConfiguration("CURVE keys of \(name) in \(dir): \(error)")
        }
    }
}

/// Client id lists on the command line: "0-5,9,12-13" (inclusive ranges).
public enum ClientRange {
    /// The ids of `text`, each checked against `limit` (ids run 0..<limit) before any list is built,
    /// so a huge range is refused at once instead of allocated.
    public static func parse(_ text: String, below limit: Int) throws -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let a = Int(bounds[0]), let b = Int(bounds.last!), a >= 0, a <= b
            else {
                throw ActorsError.invalidConfiguration(
                    "--clients: \"\(part)\" is not a client id or an inclusive range like 0-5")
            }
            guard b < limit else {
                throw ActorsError.invalidConfiguration(
                    "--clients: \"\(part)\" goes beyond the last client: ids must be below data.clients = \(limit)")
            }
            out += Array(a...b)
            guard out.count <= limit else {
                throw ActorsError.invalidConfiguration("--clients: \"\(text)\" names a client twice")
            }
        }
        guard !out.isEmpty, Set(out).count == out.count else {
            throw ActorsError.invalidConfiguration("--clients: \"\(text)\" is empty or names a client twice")
        }
        return out.sorted()
    }

    /// `clients` split into `parts` contiguous ranges, as text.
    public static func split(_ clients: Int, into parts: Int) -> [String] {
        (0..<parts).compactMap { i in
            let a = clients * i / parts, b = clients * (i + 1) / parts - 1
            return a <= b ? "\(a)-\(b)" : nil
        }
    }
}
