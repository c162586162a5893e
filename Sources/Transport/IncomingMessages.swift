/// A worker endpoint's messages from the server (`WorkerEndpoint.incoming`) in order, for one
/// consuming task: `for try await message in worker.incoming { ... }`. Finishes normally after
/// `close()`, or throws the error that ended the endpoint (e.g. `TransportError.peerLost`) once
/// the buffered messages are taken. A buffered message is taken without suspending. Cancelling the
/// consuming task ends it (a waiting `next` returns nil).
public struct IncomingMessages: AsyncSequence, Sendable {
    public typealias Element = Message
    public typealias Failure = any Error
    let mailbox: Mailbox<Message>

    init(_ mailbox: Mailbox<Message>) {
        self.mailbox = mailbox
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(mailbox: mailbox)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = Message
        public typealias Failure = any Error
        let mailbox: Mailbox<Message>

        public mutating func next() async throws -> Message? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Message? {
            if let message = await mailbox.next(isolation: actor) { return message }
            if let error = mailbox.takeFailure() { throw error }
            return nil
        }
    }
}
