/// A socket loop whose sending tasks hand messages to libzmq themselves and queue only what the
/// socket's high-water mark holds back (`ZMQServerLoop`, `ZMQWorkerLoop`). The part of sending
/// both share: trying the socket, then waiting for room in the held-back queue when it is full.
protocol HeldBackSending: AnyObject, Sendable {
    /// Sends `item` now if the socket takes it, else queues it for the socket thread
    /// (`OutboundQueue.holdBack`). Returns true when the caller must wait for room.
    func trySend(_ item: OutboundSend) throws -> Bool

    /// Runs `body` on the held-back queue under the loop's lock.
    func withHeldBack(_ body: (inout OutboundQueue) -> Void)
}

extension HeldBackSending {
    /// Sends `item` (see `trySend`), waiting while the held-back queue is full.
    func send(_ item: OutboundSend) async throws {
        if try trySend(item) { try await waitForRoom() }
    }

    /// Returns once the held-back queue is below capacity (or throws when the loop ended).
    func waitForRoom() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            withHeldBack { $0.waitForRoom(c) }
        }
    }
}
