/// A server endpoint's events (`ServerEndpoint.events`) in arrival order per peer, for one
/// consuming task: `for await event in server.events { ... }`. Finishes after `close()`; a
/// buffered event is taken without suspending. Cancelling the consuming task ends it (a waiting
/// `next` returns nil).
public struct ServerEvents: AsyncSequence, Sendable {
    public typealias Element = ServerEvent
    public typealias Failure = Never
    let mailbox: Mailbox<ServerEvent>

    init(_ mailbox: Mailbox<ServerEvent>) {
        self.mailbox = mailbox
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(mailbox: mailbox)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        public typealias Element = ServerEvent
        public typealias Failure = Never
        let mailbox: Mailbox<ServerEvent>

        public mutating func next() async -> ServerEvent? {
            await mailbox.next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> ServerEvent? {
            await mailbox.next(isolation: actor)
        }
    }
}
