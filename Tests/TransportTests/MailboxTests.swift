import Foundation
import Synchronization
import Testing
@testable import Transport

/// The single-consumer hand-over behind `ServerEvents` and `IncomingMessages`.
@Suite struct MailboxTests {
    @Test func elementsArriveInPushOrderWhetherBufferedOrAwaited() async {
        let mailbox = Mailbox<Int>()
        for i in 0..<1000 { #expect(mailbox.push(i) == .enqueued(remaining: .max - i - 1)) }
        let consumer = Task { () -> [Int] in
            var got: [Int] = []
            while let v = await mailbox.next(isolation: nil) { got.append(v) }
            return got
        }
        // The rest arrive while the consumer takes the first ones or waits for more.
        for i in 1000..<5000 { _ = mailbox.push(i) }
        mailbox.finish()
        #expect(await consumer.value == Array(0..<5000))
    }

    /// A buffered element is taken without suspending: a consumer isolated to an actor keeps the
    /// actor through 500 buffered elements, although other calls wait for it all along (each
    /// suspension, even one resumed at once, would let them run in between).
    @Test func bufferedElementsAreTakenWithoutSuspending() async {
        let mailbox = Mailbox<Int>()
        for i in 0..<500 { _ = mailbox.push(i) }
        let consumer = Consumer()
        let (got, pokedDuringDrain, pokedBefore) = await consumer.drain(mailbox, count: 500, pokers: 8)
        #expect(got == Array(0..<500))
        #expect(pokedBefore == 0)
        #expect(pokedDuringDrain == 0)
        // The waiting calls run once the consumer lets go of the actor.
        await consumer.waitForPokes(8)
    }

    @Test func finishingWhileTheConsumerWaitsEndsItWithNil() async throws {
        let mailbox = Mailbox<Int>()
        let consumer = Task { await mailbox.next(isolation: nil) }
        try await waitUntil(30) { mailbox.hasWaiter }
        mailbox.finish()
        #expect(await consumer.value == nil)
        #expect(mailbox.push(1) == .finished)
        #expect(await mailbox.next(isolation: nil) == nil)
    }

    @Test func bufferedElementsAreTakenBeforeTheFinish() async {
        let mailbox = Mailbox<Int>()
        _ = mailbox.push(1)
        _ = mailbox.push(2)
        mailbox.finish()
        mailbox.finish(throwing: TransportError.closed)  // the first finish wins
        #expect(await mailbox.next(isolation: nil) == 1)
        #expect(await mailbox.next(isolation: nil) == 2)
        #expect(await mailbox.next(isolation: nil) == nil)
        #expect(mailbox.takeFailure() == nil)
    }

    /// `IncomingMessages` after an error finish: the buffered messages, then the error once, then nil.
    @Test func anErrorFinishIsThrownOnceAfterTheBufferedMessages() async throws {
        let mailbox = Mailbox<Message>()
        let lost = TransportError.peerLost(peer: "server", reason: "test")
        _ = mailbox.push(.heartbeat(Heartbeat(sequence: 1)))
        _ = mailbox.push(.heartbeat(Heartbeat(sequence: 2)))
        mailbox.finish(throwing: lost)
        var it = IncomingMessages(mailbox).makeAsyncIterator()
        #expect(try await sequence(of: it.next()) == 1)
        #expect(try await sequence(of: it.next()) == 2)
        await #expect(throws: lost) { try await it.next() }
        #expect(try await it.next() == nil)
    }

    @Test func anErrorFinishReachesAWaitingConsumer() async throws {
        let mailbox = Mailbox<Message>()
        let consumer = Task { () -> (any Error)? in
            do {
                for try await _ in IncomingMessages(mailbox) {}
                return nil
            } catch {
                return error
            }
        }
        try await waitUntil(30) { mailbox.hasWaiter }
        mailbox.finish(throwing: TransportError.sendTimeout(peer: "server"))
        #expect(await consumer.value as? TransportError == .sendTimeout(peer: "server"))
    }

    /// As with `AsyncStream`: cancelling the waiting consumer ends it with nil (not an error, also
    /// for `IncomingMessages`) and finishes the mailbox.
    @Test func cancellingTheWaitingConsumerEndsItWithNil() async throws {
        let events = Mailbox<Int>()
        let eventConsumer = Task { await events.next(isolation: nil) }
        try await waitUntil(30) { events.hasWaiter }
        eventConsumer.cancel()
        #expect(await eventConsumer.value == nil)
        #expect(events.push(7) == .finished)

        let messages = Mailbox<Message>()
        let messageConsumer = Task { () throws -> Int in
            var n = 0
            for try await _ in IncomingMessages(messages) { n += 1 }
            return n
        }
        try await waitUntil(30) { messages.hasWaiter }
        messageConsumer.cancel()
        #expect(try await messageConsumer.value == 0)  // ended normally: no CancellationError
        #expect(messages.push(.heartbeat(Heartbeat(sequence: 1))) == .finished)
    }

    /// A consumer cancelled before it asks still takes what is buffered, then gets nil.
    @Test func aCancelledConsumerTakesTheBufferedElementsThenEnds() async {
        let mailbox = Mailbox<Int>()
        _ = mailbox.push(1)
        _ = mailbox.push(2)
        let consumer = Task { () -> [Int] in
            withUnsafeCurrentTask { $0?.cancel() }
            var got: [Int] = []
            while let v = await mailbox.next(isolation: nil) { got.append(v) }
            return got
        }
        #expect(await consumer.value == [1, 2])
        #expect(mailbox.push(3) == .finished)
    }

    /// Four producer threads (as socket threads are) and one consuming task: every element
    /// arrives once, each producer's in its order.
    @Test(arguments: [Int.max, 4])
    func manyProducersOneConsumer(capacity: Int) async throws {
        let producers = 4, perProducer = 2_000
        let mailbox = Mailbox<Int>(capacity: capacity)
        var overfull = false
        let finished = Atomic<Int>(0)
        for p in 0..<producers {
            Thread {
                for i in 0..<perProducer {
                    // Full (bounded): keep the element and offer it again, as the socket thread does.
                    while mailbox.push(p * perProducer + i) == .full { usleep(200) }
                }
                if finished.add(1, ordering: .acquiringAndReleasing).newValue == producers { mailbox.finish() }
            }.start()
        }
        var next = [Int](repeating: 0, count: producers)
        var total = 0
        while let v = await mailbox.next(isolation: nil) {
            if mailbox.count > capacity { overfull = true }
            let (p, i) = v.quotientAndRemainder(dividingBy: perProducer)
            #expect(i == next[p], "producer \(p): element \(i) arrived when \(next[p]) was due")
            next[p] = i + 1
            total += 1
        }
        #expect(total == producers * perProducer)
        #expect(next == [Int](repeating: perProducer, count: producers))
        #expect(!overfull)
    }

    /// Bounded: at most `capacity` buffered; a push then answers `.full` and leaves the element
    /// with the producer (nothing is dropped); a waiting consumer takes one directly.
    @Test func aBoundedMailboxPushesBack() async throws {
        let mailbox = Mailbox<Int>(capacity: 3)
        #expect(mailbox.push(0) == .enqueued(remaining: 2))
        #expect(mailbox.push(1) == .enqueued(remaining: 1))
        #expect(mailbox.push(2) == .enqueued(remaining: 0))
        #expect(mailbox.push(3) == .full)
        #expect(mailbox.count == 3)
        #expect(await mailbox.next(isolation: nil) == 0)
        #expect(mailbox.push(3) == .enqueued(remaining: 0))
        var got: [Int] = []
        for _ in 0..<3 { got.append(await mailbox.next(isolation: nil) ?? -1) }
        #expect(got == [1, 2, 3])
        #expect(mailbox.count == 0)

        let waiting = Task { await mailbox.next(isolation: nil) }
        try await waitUntil(30) { mailbox.hasWaiter }
        #expect(mailbox.push(9) == .enqueued(remaining: 3))
        #expect(await waiting.value == 9)
    }

    /// The ring against an array, through random runs of appends and removals (wrapping around,
    /// growing while wrapped, releasing its storage when empty after a burst).
    @Test func theRingIsAFirstInFirstOutQueue() {
        var rng = SplitMix64(seed: 7)
        var ring = Ring<Int>()
        var reference: [Int] = []
        var next = 0
        for _ in 0..<2_000 {
            let appends = Int.random(in: 0...12, using: &rng) * (Int.random(in: 0..<50, using: &rng) == 0 ? 800 : 1)
            for _ in 0..<appends {
                ring.append(next)
                reference.append(next)
                next += 1
            }
            for _ in 0..<Int.random(in: 0...14, using: &rng) {
                let expected = reference.isEmpty ? nil : reference.removeFirst()
                #expect(ring.popFirst() == expected)
            }
            #expect(ring.count == reference.count)
        }
        while let v = ring.popFirst() { #expect(v == reference.removeFirst()) }
        #expect(reference.isEmpty && ring.isEmpty)
    }
}

private func sequence(of message: Message?) -> UInt64? {
    if case let .heartbeat(h) = message { return h.sequence }
    return nil
}

/// A consumer isolated to an actor, and calls that wait for the actor meanwhile.
private actor Consumer {
    private var pokes = 0

    func poke() { pokes += 1 }

    /// Queues `pokers` tasks isolated to this actor (they run when it is free: at the first
    /// suspension of this call, or after it), then takes `count` buffered elements. Returns the
    /// elements and how many pokes ran before and during the draining.
    func drain(_ mailbox: Mailbox<Int>, count: Int, pokers: Int) async -> ([Int], Int, Int) {
        for _ in 0..<pokers { Task { self.poke() } }
        let before = pokes
        var got: [Int] = []
        for _ in 0..<count {
            guard let v = await mailbox.next(isolation: self) else { break }
            got.append(v)
        }
        return (got, pokes - before, before)
    }

    func waitForPokes(_ n: Int) async {
        while pokes < n { await Task.yield() }
    }
}
