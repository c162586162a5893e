import Foundation
import Testing
@testable import Actors

/// Several hosts for real: the server and two workers in three network namespaces joined by veth
/// pairs (10.77.0.0/24 and 10.77.1.0/24, which exist only inside these namespaces), with CURVE.
/// With 100 ms delay and 5% packet loss on one link the run gives the adapter `fedhds run` gives;
/// with that link down for longer than the lease, the worker exits, is started again, registers
/// again and the run completes. Delay and loss come from `tc netem` where the kernel has
/// sch_netem; elsewhere loss comes from an nftables rule dropping 5% of the worker's outgoing
/// packets at random and delay from `DelayRelay`, which holds each chunk 100 ms in each direction
/// on the way to the server. About a minute, so it runs only when asked: FEDHDS_NETNS=1, as root
/// where `ip netns` is permitted; otherwise it is skipped.
@Suite(.serialized) struct NetworkNamespaceTests {
    static let requested = ProcessInfo.processInfo.environment["FEDHDS_NETNS"] == "1"
    static let available: Bool = requested && probe()

    @discardableResult
    static func sh(_ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func probe() -> Bool {
        let name = "fhprobe-\(getpid())"
        guard sh(["ip", "netns", "add", name]).status == 0 else { return false }
        sh(["ip", "netns", "del", name])
        return true
    }

    /// Three namespaces: server (s0, s1) and worker i (wi), deleted with their links at `cleanup`.
    struct Net {
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        var server: String { "fhs-\(tag)" }
        func worker(_ i: Int) -> String { "fhw\(i)-\(tag)" }
        func link(_ i: Int) -> String { "w\(i)-\(tag)" }

        func setUp() throws {
            for ns in [server, worker(0), worker(1)] {
                let r = sh(["ip", "netns", "add", ns])
                guard r.status == 0 else { throw ActorsError.storage("ip netns add \(ns): \(r.output)") }
                sh(["ip", "-n", ns, "link", "set", "lo", "up"])
            }
            for i in 0..<2 {
                let steps = [
                    [
                        "ip", "link", "add", "s\(i)-\(tag)", "netns", server, "type", "veth", "peer", "name", link(i),
                        "netns", worker(i)
                    ],
                    ["ip", "-n", server, "addr", "add", "10.77.\(i).1/24", "dev", "s\(i)-\(tag)"],
                    ["ip", "-n", server, "link", "set", "s\(i)-\(tag)", "up"],
                    ["ip", "-n", worker(i), "addr", "add", "10.77.\(i).2/24", "dev", link(i)],
                    ["ip", "-n", worker(i), "link", "set", link(i), "up"]
                ]
                for s in steps {
                    let r = sh(s)
                    guard r.status == 0 else { throw ActorsError.storage("\(s.joined(separator: " ")): \(r.output)") }
                }
            }
        }

        func cleanup() { for ns in [server, worker(0), worker(1)] { sh(["ip", "netns", "del", ns]) } }

        func start(_ ns: String, _ args: [String], log: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ip", "netns", "exec", ns, Harness.binary] + args
            var env = ProcessInfo.processInfo.environment
            env["OPENBLAS_NUM_THREADS"] = "1"
            p.environment = env
            if !FileManager.default.fileExists(atPath: log) {
                _ = FileManager.default.createFile(atPath: log, contents: nil)
            }
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            _ = try? h.seekToEnd()  // a restarted worker appends to its log
            p.standardOutput = h
            p.standardError = h
            try p.run()
            return p
        }
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// Runs a server in its namespace and keeps both workers running (started again whenever one
    /// exits, as a supervisor would) until the server ends; `during` runs while it is up.
    static func federation(
        _ net: Net, cfg: String, out: String, dir: String, tag: String,
        addresses: [String] = ["tcp://10.77.0.1:5555", "tcp://10.77.1.1:5555"],
        during: (@Sendable () async throws -> Void)? = nil
    ) async throws -> (Int32, String) {
        let port = 5555
        let serverLog = dir + "/\(tag)-server.log"
        let server = try net.start(
            net.server,
            [
                "server", cfg, "--bind", "tcp://*:\(port)", "--keys", dir + "/keys",
                "--make-keys", "worker-0,worker-1", "--out", out, "--registration-timeout", "120"
            ],
            log: serverLog)
        #expect(try await Harness.waitFor(120) { text(serverLog).contains("listening on") || !server.isRunning })
        var workers: [Process?] = [nil, nil]
        let clients = ["0-5", "6-11"]
        func keepWorkersUp() throws {
            for i in 0..<2 where workers[i]?.isRunning != true && server.isRunning {
                workers[i] = try net.start(
                    net.worker(i),
                    [
                        "worker", cfg, "--connect", addresses[i], "--clients", clients[i],
                        "--name", "worker-\(i)", "--keys", dir + "/keys", "--lease", "3"
                    ],
                    log: dir + "/\(tag)-worker-\(i).log")
            }
        }
        let meanwhile = Task { try await during?() }
        let end = Date().addingTimeInterval(300)
        while server.isRunning, Date() < end {
            try keepWorkersUp()
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        if server.isRunning { server.terminate() }
        try await meanwhile.value
        for w in workers { if w?.isRunning == true { w?.terminate() } }
        return (server.terminationStatus, text(serverLog))
    }

    @Test(
        .enabled(
            if: NetworkNamespaceTests.available,
            "needs FEDHDS_NETNS=1 and permission for `ip netns` (root); about a minute"))
    func serverAndTwoWorkersInThreeNamespacesSurviveDelayLossAndALinkDownPastTheLease() async throws {
        let dir = Harness.tempDir("netns")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let net = Net()
        defer { net.cleanup() }
        try net.setUp()
        let cfg = try Harness.config(in: dir) {
            ClusterEndToEndTests.quick(&$0)
            $0.rounds = 3
            $0.participation = 1.0
            $0.rejoinGrace = 60
        }
        let (s0, o0) = try await Harness.run(["run", cfg, "--out", dir + "/one"], log: dir + "/one.log")
        #expect(s0 == 0, "\(o0)")

        // 1. 100 ms delay and 5% loss on worker-1's link: netem where the kernel has it, else
        // nftables for the loss and a delaying relay in the server's namespace for the delay.
        let netem = Self.sh([
            "ip", "netns", "exec", net.worker(1), "tc", "qdisc", "add", "dev", net.link(1), "root",
            "netem", "delay", "100ms", "loss", "5%"
        ])
        var addresses = ["tcp://10.77.0.1:5555", "tcp://10.77.1.1:5555"]
        var relay: DelayRelay?
        if netem.status != 0 {
            let why = netem.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let rules = [
                ["add", "table", "inet", "fhloss"],
                ["add", "chain", "inet", "fhloss", "out", "{ type filter hook output priority 0; }"],
                [
                    "add", "rule", "inet", "fhloss", "out", "oifname", net.link(1), "numgen", "random", "mod", "100",
                    "<", "5",
                    "counter", "drop"
                ]
            ]
            for r in rules {
                let done = Self.sh(["ip", "netns", "exec", net.worker(1), "nft"] + r)
                try #require(
                    done.status == 0,
                    "tc netem is unavailable (\(why)) and so is nft (apt-get install nftables): \(done.output)")
            }
            let r = DelayRelay(
                namespace: net.server, listen: ("10.77.1.1", 6000), target: ("127.0.0.1", 5555), delay: 0.1)
            try r.start()
            relay = r
            addresses[1] = "tcp://10.77.1.1:6000"
            print("netns test: tc netem unavailable here (\(why)); 5% loss by nftables, 100 ms each way by DelayRelay")
        }
        let (s1, log1) = try await Self.federation(
            net, cfg: cfg, out: dir + "/ns", dir: dir, tag: "clean", addresses: addresses)
        if let relay {
            relay.stop()
            let t = relay.traffic
            print("netns test: DelayRelay forwarded \(t.bytes) bytes, each chunk held at least \(t.shortestHold) s")
            #expect(t.bytes > 0 && t.shortestHold >= 0.1, "worker-1's traffic did not go through the delaying relay")
        }
        #expect(s1 == 0, "\(log1)")
        #expect(try Harness.result(dir + "/ns").adapterSHA == Harness.result(dir + "/one").adapterSHA, "\(log1)")
        if netem.status == 0 {
            Self.sh(["ip", "netns", "exec", net.worker(1), "tc", "qdisc", "del", "dev", net.link(1), "root"])
        } else {
            // The rule's counter: packets it dropped (so the loss really happened).
            let listed = Self.sh(["ip", "netns", "exec", net.worker(1), "nft", "list", "table", "inet", "fhloss"])
                .output
            let dropped =
                listed.firstRange(of: /counter packets (\d+)/).map { Int(listed[$0].split(separator: " ")[2]) ?? 0 }
                ?? 0
            print("netns test: nftables dropped \(dropped) of worker-1's packets")
            #expect(dropped > 0, "\(listed)")
            Self.sh(["ip", "netns", "exec", net.worker(1), "nft", "delete", "table", "inet", "fhloss"])
        }

        // 2. Worker-1's link down for 12 s (past the 3 s worker lease and the 10 s server lease).
        let (s2, log2) = try await Self.federation(net, cfg: cfg, out: dir + "/outage", dir: dir, tag: "outage") {
            #expect(try await Harness.waitFor(180) { Self.text(dir + "/outage/run.log").contains("round 1/3 done") })
            Self.sh(["ip", "-n", net.worker(1), "link", "set", net.link(1), "down"])
            try await Task.sleep(nanoseconds: 12_000_000_000)
            Self.sh(["ip", "-n", net.worker(1), "link", "set", net.link(1), "up"])
        }
        #expect(s2 == 0, "\(log2)")
        let m = try Harness.metrics(dir + "/outage")
        #expect(m.count == 3)
        #expect(m.last?.responders == Array(0..<12), "\(m.last?.dropped ?? [:])")
        let w1 = Self.text(dir + "/outage-worker-1.log")
        #expect(w1.contains("connection to the server ended"), "\(w1)")
        #expect(log2.components(separatedBy: "worker worker-1 registered").count >= 3, "\(log2)")
    }
}
