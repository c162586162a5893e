import Foundation
import Testing
@testable import Actors

/// The simulated clock on small cases computed by hand: phase times, deadlines, dropouts,
/// availability windows, over-selection; plus determinism and the uniform default.
@Suite struct SimulatedClockTests {
    /// A device with only what a case needs (always online, never dropping out unless told).
    static func device(
        feature: Double = 1, train: Double = 10, down: Double = 8, up: Double = 4, latency: Double = 0,
        dropout: Double = 0, availability: Availability = .always
    ) -> DeviceProfile {
        DeviceProfile(
            featureSecondsPer1k: feature, trainSecondsPer1k: train, generateSecondsPer1k: 50,
            downMbps: down, upMbps: up, latency: latency, dropout: dropout, availability: availability)
    }

    static func clock(
        _ devices: [DeviceProfile], f: Double = 1,
        deadlines: [SimulatedRound.Phase: Double] = [:]
    ) -> SimulatedClock {
        SimulatedClock(system: SystemModel(devices: devices), seed: 5, overSelection: f, deadlines: deadlines)
    }

    static func window(_ period: Double, _ pairs: [(Double, Double)]) -> Availability {
        Availability(period: period, windows: pairs.map { Availability.Window(start: $0.0, end: $0.1) })
    }

    @Test func phaseTimesAreDownloadComputeUpload() throws {
        // 1 MB down at 8 Mbit/s = 1 s (+0.5 s latency); 1,500 feature tokens at 2 s/1k = 3 s;
        // 0.5 MB up at 4 Mbit/s = 1 s (+0.5 s): the answer arrives 6 s after the phase opens.
        let clock = Self.clock([Self.device(feature: 2, latency: 0.5)])
        var r = try clock.start(round: 1, at: 100, perRound: 1, plan: [.select, .train])
        #expect(r.invited == [0] && r.start == 100)
        let work = ClientWork(featureTokens: 1500, bytesDown: 1_000_000, bytesUp: 500_000)
        let on = try clock.run(.select, in: &r, work: [0: work])
        #expect(on == [0])
        let t = try #require(r.clients["0"]?.phases["select"])
        #expect(t.download == 1.5 && t.compute == 3 && t.upload == 1.5 && t.reports == 106)
        #expect(r.spans[0].opens == 100 && r.spans[0].closes == 106)
        // Training opens when selection closed: 2,000 tokens at 10 s/1k, nothing sent = 20 s.
        try clock.run(.train, in: &r, work: [0: ClientWork(trainTokens: 2000)])
        #expect(r.clients["0"]?.phases["train"]?.reports == 126)
        #expect(r.answered == [0] && r.end == 126 && r.reasons.isEmpty)
    }

    /// Three clients that answer at 10, 20 and 30 s (1,000 tokens at 10, 20, 30 s/1k).
    static let staggered = [device(train: 10), device(train: 20), device(train: 30)]
    static let thousand: [Int: ClientWork] = [
        0: ClientWork(trainTokens: 1000), 1: ClientWork(trainTokens: 1000),
        2: ClientWork(trainTokens: 1000)
    ]

    @Test func withoutDeadlineEveryoneIsAggregated() throws {
        let clock = Self.clock(Self.staggered)
        var r = try clock.start(round: 1, at: 0, perRound: 3, plan: [.train])
        #expect(try clock.run(.train, in: &r, work: Self.thousand) == [0, 1, 2])
        #expect(r.end == 30 && r.late.isEmpty && r.dropped.isEmpty)
    }

    @Test func deadlineMakesStragglersLate() throws {
        let clock = Self.clock(Self.staggered, deadlines: [.train: 15])
        var r = try clock.start(round: 1, at: 0, perRound: 3, plan: [.train])
        #expect(try clock.run(.train, in: &r, work: Self.thousand) == [0])
        #expect(r.late == [1, 2] && r.end == 15 && r.spans[0].deadline == 15)
        #expect(r.reasons["2"] == "train: would answer at 30.000 s, after the deadline at 15.000 s")
    }

    @Test func overSelectionAggregatesTheFirstK() throws {
        // K = 2, f = 1.5: all 3 invited; the round ends with the second update, at 20 s.
        let clock = Self.clock(Self.staggered, f: 1.5)
        var r = try clock.start(round: 1, at: 0, perRound: 2, plan: [.train])
        #expect(r.invited == [0, 1, 2])
        #expect(try clock.run(.train, in: &r, work: Self.thousand) == [0, 1])
        #expect(r.surplus == [2] && r.end == 20)
        #expect(r.reasons["2"] == "train: still at work when the first 2 updates had arrived")
        // A surplus update that arrives with the K-th (a tie, broken by client id) was answered.
        let tied = Self.clock([Self.device(train: 10), Self.device(train: 20), Self.device(train: 20)], f: 1.5)
        var t = try tied.start(round: 1, at: 0, perRound: 2, plan: [.train])
        #expect(try tied.run(.train, in: &t, work: Self.thousand) == [0, 1])
        #expect(t.reasons["2"] == "train: answered at 20.000 s, after the first 2 updates" && t.end == 20)
        func invited(_ f: Double) -> Int {
            SimulatedClock(system: .uniform(clients: 20), seed: 1, overSelection: f).invitations(perRound: 10)
        }
        #expect(invited(1.3) == 13 && invited(1.25) == 13 && invited(1) == 10)
    }

    @Test func lateInSelectionDoesNotTrain() throws {
        // Selection: 1,000 feature tokens at 1 / 2 / 3 s/1k, deadline 2.5 s -> client 2 is late,
        // the phase closes at the deadline; training opens at 2.5 s for clients 0 and 1.
        let devices = [Self.device(feature: 1, train: 10), Self.device(feature: 2, train: 10), Self.device(feature: 3)]
        let clock = Self.clock(devices, deadlines: [.select: 2.5])
        var r = try clock.start(round: 1, at: 0, perRound: 3, plan: [.select, .train])
        let thousand = ClientWork(featureTokens: 1000)
        let features = [0: thousand, 1: thousand, 2: thousand]
        #expect(try clock.run(.select, in: &r, work: features) == [0, 1])
        #expect(r.late == [2] && r.spans[0].closes == 2.5)
        #expect(throws: ActorsError.self) { try clock.run(.train, in: &r, work: [2: ClientWork(trainTokens: 1)]) }
        let train = [0: ClientWork(trainTokens: 100), 1: ClientWork(trainTokens: 200)]
        #expect(try clock.run(.train, in: &r, work: train) == [0, 1])
        #expect(r.end == 4.5 && r.answered == [0, 1])
    }

    @Test func dropoutsHappenWhereTheirDrawSays() throws {
        // A device that drops out almost surely: the draw's point gives the phase and the moment.
        let clock = Self.clock([Self.device(train: 10, dropout: 0.999_999), Self.device(train: 10)])
        var r = try clock.start(round: 3, at: 50, perRound: 2, plan: [.train])
        let p = try #require(clock.dropoutPoint(round: 3, client: 0, phases: 1))
        #expect(clock.dropoutPoint(round: 3, client: 1, phases: 1) == nil)
        #expect(try clock.run(.train, in: &r, work: [0: Self.thousand[0]!, 1: Self.thousand[1]!]) == [1])
        #expect(r.dropped == [0] && r.clients["0"]?.at == 50 + p * 10)
        #expect(r.reasons["0"] == "train: dropped out (probability 0.999999)")
        #expect(r.end == 60)  // the dropout is noticed when it happens; client 1 answers at 60
        // Over many rounds the frequency is the device's probability.
        let often = Self.clock([Self.device(dropout: 0.3)])
        let drops = (1...2000).filter { often.dropoutPoint(round: $0, client: 0, phases: 2) != nil }.count
        #expect(abs(Double(drops) / 2000 - 0.3) < 0.04)
    }

    @Test func hostFailureCountsAsDropped() throws {
        let clock = Self.clock(Self.staggered)
        var r = try clock.start(round: 1, at: 0, perRound: 3, plan: [.train])
        #expect(try clock.run(.train, in: &r, work: [0: Self.thousand[0]!, 2: Self.thousand[2]!]) == [0, 2])
        #expect(r.reasons["1"] == "train: no answer from its host")
    }

    @Test func availabilityWindows() {
        let a = Self.window(100, [(0, 20), (80, 100)])
        #expect(a.isOnline(at: 5) && a.isOnline(at: 85) && a.isOnline(at: 310))
        #expect(!a.isOnline(at: 50) && !a.isOnline(at: 250))
        #expect(a.onlineUntil(5) == 20)
        #expect(a.onlineUntil(85) == 120)  // the evening window goes on into the next morning's
        #expect(a.onlineUntil(50) == 50)
        #expect(a.nextOnline(atOrAfter: 50) == 80 && a.nextOnline(atOrAfter: 130) == 180)
        #expect(a.nextOnline(atOrAfter: 10) == 10)
        let b = Self.window(100, [(10, 30)])
        #expect(b.onlineUntil(15) == 30 && b.nextOnline(atOrAfter: 40) == 110)
        #expect(Availability.always.onlineUntil(1e9) == .infinity && Availability.always.isOnline(at: -3))
    }

    @Test func participantsAreDrawnAmongOnlineClients() throws {
        // Clients 0-4 online in the first half of each 100 s, clients 5-9 in the second half.
        let early = Self.device(availability: Self.window(100, [(0, 50)]))
        let late = Self.device(availability: Self.window(100, [(50, 100)]))
        let clock = Self.clock(Array(repeating: early, count: 5) + Array(repeating: late, count: 5), f: 1)
        for round in 1...20 {
            let r = try clock.start(round: round, at: 10, perRound: 3, plan: [.train])
            #expect(r.online == 5 && r.invited.count == 3 && r.invited.allSatisfy { $0 < 5 })
            let s = try clock.start(round: round, at: 160, perRound: 3, plan: [.train])
            #expect(s.invited.allSatisfy { $0 >= 5 })
        }
        // Fewer online than asked: everyone online is invited.
        #expect(try clock.start(round: 1, at: 10, perRound: 8, plan: [.train]).invited == [0, 1, 2, 3, 4])
        // Nobody online at the requested start: the round waits for the first window.
        let sleepy = Self.clock([late, late])
        let w = try sleepy.start(round: 1, at: 120, perRound: 2, plan: [.train])
        #expect(w.requested == 120 && w.start == 150 && w.invited == [0, 1])
        #expect(throws: ActorsError.self) { try sleepy.start(round: 1, at: 0, perRound: 0, plan: [.train]) }
        #expect(throws: ActorsError.self) { try sleepy.start(round: 1, at: 0, perRound: 3, plan: [.train]) }
        let never = Self.clock([early, late])
        #expect(throws: ActorsError.self) {
            try never.start(round: 1, at: 0, perRound: 2, plan: [.train], minOnline: 2)
        }
    }

    @Test func goingOfflineMidRoundDrops() throws {
        // Online [0, 50) of every 100 s; 1,000 tokens at 100 s/1k would end at 100 s.
        let halfDay = Self.window(100, [(0, 50)])
        let clock = Self.clock([Self.device(train: 100, availability: halfDay), Self.device(train: 10)])
        var r = try clock.start(round: 1, at: 0, perRound: 2, plan: [.train])
        #expect(try clock.run(.train, in: &r, work: [0: Self.thousand[0]!, 1: Self.thousand[1]!]) == [1])
        #expect(r.reasons["0"] == "train: went offline at 50.000 s" && r.end == 50)
    }

    @Test func uniformDefaultInvitesTodaysParticipants() throws {
        var config = RunConfig()
        config.clockKind = .simulated
        config.clients = 40
        config.participation = 0.1
        let clock = try config.simulatedClock()
        #expect(clock.system == .uniform(clients: 40))
        for upfront in [true, false] {
            let sampler = try ParticipantSampler(
                clients: 40, perRound: 4, rounds: 6, seed: config.seed,
                upfront: upfront)
            var t = 0.0
            for round in 1...6 {
                var r = try clock.start(round: round, at: t, perRound: 4, plan: [.select, .train], sampler: sampler)
                #expect(r.invited == sampler.participants(round: round) && r.start == t)
                let work = Dictionary(
                    uniqueKeysWithValues: r.invited.map {
                        ($0, ClientWork(featureTokens: 500 * $0, bytesUp: 100))
                    })
                try clock.run(.select, in: &r, work: work)
                let train = Dictionary(uniqueKeysWithValues: r.invited.map { ($0, ClientWork(trainTokens: 300 + $0)) })
                #expect(try clock.run(.train, in: &r, work: train) == r.invited)
                #expect(r.reasons.isEmpty && r.end > t)
                t = r.end
            }
        }
    }

    /// Runs `rounds` rounds on `clock` with work that depends on the client and the round.
    static func simulate(_ clock: SimulatedClock, rounds: Int, perRound: Int) throws -> [SimulatedRound] {
        var t = 0.0
        var out: [SimulatedRound] = []
        for round in 1...rounds {
            var r = try clock.start(round: round, at: t, perRound: perRound, plan: [.select, .train])
            let select = Dictionary(
                uniqueKeysWithValues: r.invited.map {
                    ($0, ClientWork(featureTokens: 2000 + 37 * $0, bytesDown: 600_000, bytesUp: 20_000))
                })
            let going = try clock.run(.select, in: &r, work: select)
            let train = Dictionary(
                uniqueKeysWithValues: going.map {
                    ($0, ClientWork(trainTokens: 400 + 11 * $0 + round, bytesDown: 1_000, bytesUp: 600_000))
                })
            try clock.run(.train, in: &r, work: train)
            t = r.end
            out.append(r)
        }
        return out
    }

    @Test func sameSeedSameRecords() throws {
        let make = { (seed: UInt64) in
            SimulatedClock(
                system: .synthetic(clients: 50, seed: seed), seed: seed, overSelection: 1.3,
                deadlines: [.select: 120, .train: 400])
        }
        let a = try Self.simulate(make(7), rounds: 8, perRound: 5)
        let b = try Self.simulate(make(7), rounds: 8, perRound: 5)
        #expect(a == b)
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys]  // as metrics.jsonl is written
        #expect(try sorted.encode(a) == sorted.encode(b))
        let c = try Self.simulate(make(8), rounds: 8, perRound: 5)
        #expect(a != c)
        // The heterogeneous federation has stragglers, dropouts and surplus clients somewhere.
        let all = a.flatMap { $0.clients.values.map(\.outcome) }
        #expect(all.contains(.aggregated) && all.contains(.surplus))
        #expect(a.allSatisfy { $0.answered.count <= 5 && $0.invited.count <= 7 })
        // Records survive the JSON round trip of metrics.jsonl.
        #expect(try JSONDecoder().decode([SimulatedRound].self, from: JSONEncoder().encode(a)) == a)
    }
}
