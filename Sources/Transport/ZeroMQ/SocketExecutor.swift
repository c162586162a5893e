import Glibc
import Synchronization

/// A socket thread as a `TaskExecutor`. Jobs of tasks that prefer it
/// (`withTaskExecutorPreference(endpoint.executor)` or `Task(executorPreference:)`) are queued here
/// and run, in order, by the socket thread between its waits, woken by the same eventfd. A task that
/// consumes an endpoint's messages there is resumed on the thread that just received them, and its
/// reply goes to libzmq from there: one thread wake-up per message fewer than through the
/// cooperative pool.
///
/// Only light work (receiving, dispatching, replying) belongs here: while a job runs the socket is
/// not read. A default actor called from such a task runs on the preferred executor too, so heavy
/// work must go to a task without the preference.
///
/// Shutdown: the thread calls `end()` once it has closed its socket. Jobs still queued then, and
/// every job enqueued afterwards, go to the global concurrent executor, so a task that still prefers
/// this executor runs to completion and never hangs; no job is ever dropped.
public final class SocketExecutor: TaskExecutor, @unchecked Sendable {  // state under `jobs`, `owner` atomic
    private let jobs = Mutex<(queue: [UnownedJob], ended: Bool)>(([], false))
    private let signal: EventSignal
    /// The socket thread (pthread_t) while it runs: a job it enqueues itself needs no wake-up,
    /// because the thread looks at `hasPending` before it waits.
    private let owner = Atomic<UInt>(0)
    /// The socket thread's empty array that `runPending` swaps with the queue (thread only).
    private var spare: [UnownedJob] = []

    init(signal: EventSignal) {
        self.signal = signal
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let queued = jobs.withLock { s -> Bool in
            if s.ended { return false }
            s.queue.append(unowned)
            return true
        }
        if !queued {
            globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
        } else if owner.load(ordering: .acquiring) != UInt(pthread_self()) {
            signal.signal()
        }
    }

    /// Called by the socket thread when it starts.
    func adoptCurrentThread() {
        owner.store(UInt(pthread_self()), ordering: .releasing)
    }

    /// Whether the caller runs on the socket thread.
    var isCurrentThread: Bool {
        owner.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// True when jobs wait (the thread must not block then: it may have enqueued them itself, unsignalled).
    var hasPending: Bool {
        jobs.withLock { !$0.queue.isEmpty }
    }

    /// Runs the jobs queued so far, in order (socket thread only). Jobs they enqueue run on the
    /// thread's next turn, so a task that keeps yielding cannot keep the socket unread. Returns how
    /// many ran.
    @discardableResult
    func runPending() -> Int {
        // Swap the queue with the thread's empty spare (no allocation per turn).
        var batch = spare
        spare = []
        jobs.withLock { s in swap(&batch, &s.queue) }
        for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        let count = batch.count
        batch.removeAll(keepingCapacity: true)
        spare = batch
        return count
    }

    /// Called by the socket thread as it ends (after its socket is closed): queued jobs and all later
    /// ones go to the global concurrent executor. Returns how many were handed over (for tests).
    @discardableResult
    func end() -> Int {
        let left = jobs.withLock { s -> [UnownedJob] in
            s.ended = true
            defer { s.queue = [] }
            return s.queue
        }
        owner.store(0, ordering: .releasing)
        for job in left { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        return left.count
    }
}
