import Foundation
import Testing
@testable import Transport

@Test func curveKeysAreValidatedAndGenerated() throws {
    let k = try CurveKeyPair.generate()
    #expect(k.publicKey.utf8.count == 40 && k.secretKey.utf8.count == 40 && k.publicKey != k.secretKey)
    #expect(try CurveKeyPair.encode(CurveKeyPair.decode(k.publicKey, what: "k")) == k.publicKey)
    #expect(throws: TransportError.self) { try CurveKeyPair(publicKey: "short", secretKey: k.secretKey) }
    #expect(throws: TransportError.self) {
        try CurveKeyPair(publicKey: String(repeating: "\"", count: 40), secretKey: k.secretKey)
    }
}

func curveServer(_ keys: CurveKeyPair, allow: [String: String]) throws -> ZMQServerEndpoint {
    try ZMQServerEndpoint(
        options: ZMQServerOptions(
            endpoint: "tcp://127.0.0.1:*",
            curve: CurveServerOptions(keys: keys, allowList: allow)))
}

func curveWorker(
    _ server: ZMQServerEndpoint, _ serverKeys: CurveKeyPair, _ keys: CurveKeyPair, name: String,
    routingID: String? = nil
) throws -> ZMQWorkerEndpoint {
    try ZMQWorkerEndpoint(
        options: ZMQWorkerOptions(
            endpoint: server.boundEndpoint, name: name, routingID: routingID,
            curve: CurveClientOptions(keys: keys, serverPublicKey: serverKeys.publicKey)))
}

@Test func unknownKeyGetsNothingThrough() async throws {
    let serverKeys = try CurveKeyPair.generate(), alice = try CurveKeyPair.generate(),
        mallory = try CurveKeyPair.generate()
    let server = try curveServer(serverKeys, allow: [alice.publicKey: "alice"])
    let inbox = ServerInbox(server)
    let refusedBefore = try ZMQContext.shared.authenticator().counts.refused
    let bad = try curveWorker(server, serverKeys, mallory, name: "alice", routingID: "alice")
    // Its sends may wait for a connection that never completes: do not await them.
    let badSends = Task {
        for i in 0..<50 { try? await bad.send(.register(Register(workerID: "alice", clientIDs: [i]))) }
    }
    try await waitUntil(10) { ((try? ZMQContext.shared.authenticator().counts.refused) ?? 0) > refusedBefore }
    let good = try curveWorker(server, serverKeys, alice, name: "alice")
    try await good.send(.register(Register(workerID: "alice", clientIDs: [7])))
    let (peer, m) = try await inbox.next(timeout: .seconds(10))
    #expect(peer == PeerID("alice") && m == .register(Register(workerID: "alice", clientIDs: [7])))
    // Give the refused worker time to retry: still nothing from it, and it hears nothing.
    try await Task.sleep(for: .milliseconds(500))
    await #expect(throws: TransportError.self) { _ = try await inbox.next(timeout: .milliseconds(200)) }
    // The refused key is reported (no peer: it never connected), and nothing else is rejected.
    let rejected = await inbox.rejected
    #expect(!rejected.isEmpty && rejected.allSatisfy { $0.0 == nil })
    #expect(
        rejected.allSatisfy {
            if case let .invalidKey(text) = $0.1 {
                text.contains(mallory.publicKey) && text.contains("allow-list")
            } else {
                false
            }
        },
        "\(rejected)")
    #expect(server.traffic.messages(.register, .received) == 1)
    #expect(bad.traffic.snapshot().allSatisfy { $0.direction == .sent })
    await bad.close(); await good.close(); await server.close()
    await badSends.value
}

@Test func aWorkerClaimingAnotherRoutingIDIsKnownByItsKey() async throws {
    let serverKeys = try CurveKeyPair.generate(), alice = try CurveKeyPair.generate(), bob = try CurveKeyPair.generate()
    let server = try curveServer(serverKeys, allow: [alice.publicKey: "alice", bob.publicKey: "bob"])
    let inbox = ServerInbox(server)
    let bobW = try curveWorker(server, serverKeys, bob, name: "bob", routingID: "alice")  // claims alice's id
    try await bobW.send(.register(Register(workerID: "alice", clientIDs: [666])))
    let first = try await inbox.next(timeout: .seconds(10))
    #expect(first.0 == PeerID("bob"))
    let aliceW = try curveWorker(server, serverKeys, alice, name: "alice")
    try await aliceW.send(.register(Register(workerID: "alice", clientIDs: [1])))
    let second = try await inbox.next(timeout: .seconds(10))
    #expect(second.0 == PeerID("alice") && second.1 == .register(Register(workerID: "alice", clientIDs: [1])))
    // Messages to "alice" reach alice's key, not the impostor.
    try await server.send(.shutdown(Shutdown(reason: "for alice")), to: PeerID("alice"))
    var it = aliceW.incoming.makeAsyncIterator()
    #expect(try await it.next() == .shutdown(Shutdown(reason: "for alice")))
    try await Task.sleep(for: .milliseconds(200))
    #expect(bobW.traffic.messages(.shutdown, .received) == 0)
    await bobW.close(); await aliceW.close(); await server.close()
}
