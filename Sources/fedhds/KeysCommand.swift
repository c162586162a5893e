import ArgumentParser
import Foundation
import Transport

/// `fedhds keys generate`: a CURVE key pair for a server or a worker.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "CURVE keys for authenticated, encrypted ZeroMQ transport.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a CURVE key pair (zmq_curve_keypair) and print it, or write it to files.",
            discussion: """
                Without --out, prints the pair as TOML (public_key, secret_key). With --out PATH, writes \
                PATH.secret (both keys, mode 0600) and PATH.pub (the public key only, to hand to the \
                server's allow-list or to workers) and prints the public key.
                """
        )

        @Option(name: .long, help: "Write PATH.secret and PATH.pub instead of printing the secret key.")
        var out: String?

        @Flag(name: .long, help: "Overwrite existing key files.")
        var force = false

        func run() throws {
            let keys = try CurveKeyPair.generate()
            let secretText =
                "# fedhds CURVE key pair: keep this file secret\npublic_key = \"\(keys.publicKey)\"\nsecret_key = \"\(keys.secretKey)\"\n"
            guard let out else {
                print(secretText, terminator: "")
                return
            }
            let fm = FileManager.default
            let secretPath = out + ".secret", publicPath = out + ".pub"
            for path in [secretPath, publicPath] where fm.fileExists(atPath: path) && !force {
                throw ValidationError("\(path) exists; pass --force to overwrite it")
            }
            guard
                fm.createFile(
                    atPath: secretPath, contents: Data(secretText.utf8), attributes: [.posixPermissions: 0o600])
            else {
                throw ValidationError("cannot write \(secretPath)")
            }
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretPath)
            try Data("public_key = \"\(keys.publicKey)\"\n".utf8).write(to: URL(fileURLWithPath: publicPath))
            print(keys.publicKey)
        }
    }
}
