import Foundation
import Testing
@testable import Actors

@Suite struct RunConfigTests {
    @Test func defaultsFollowSpec() throws {
        let c = try RunConfig.parse(toml: "")
        #expect(c.clients == 200)
        #expect(c.alpha == 0.5)
        #expect(c.participation == 0.05)
        #expect(c.participantsPerRound == 10)
        #expect(c.effectiveLearningRate == 3e-5)
        #expect(c.loraRank == 8 && c.loraAlpha == 16 && c.loraDropout == 0.05)
        #expect(c.maxLength == 1024 && c.maxNewTokens == 128)
        #expect(c.effectiveMinClusterSize == 2)
        #expect(c.dpEpsilon == 0)
        var ni = c
        ni.dataset = .ni
        #expect(ni.effectiveLearningRate == 3e-4 && ni.effectiveMinClusterSize == 5)
    }

    @Test func readsSectionsAndTypes() throws {
        let c = try RunConfig.parse(
            toml: """
                method = "fedhds-turbo"
                seed = 7
                rounds = 4
                [data]
                clients = 20
                alpha = 5
                [federation]
                participation = 0.25
                [eval]
                rounds = [2, 4]
                """)
        #expect(c.method == .fedhdsTurbo && c.seed == 7 && c.rounds == 4)
        #expect(c.clients == 20 && c.alpha == 5.0 && c.participantsPerRound == 5)
        #expect(c.evalRounds == [2, 4])
    }

    @Test func unknownKeyIsRefusedByName() {
        #expect(throws: ActorsError.invalidConfiguration("unknown key `data.clientz`")) {
            try RunConfig.parse(toml: "[data]\nclientz = 3")
        }
        #expect(throws: ActorsError.invalidConfiguration("unknown key `clients` (did you mean data.clients?)")) {
            try RunConfig.parse(toml: "clients = 3")
        }
        #expect(throws: ActorsError.invalidConfiguration("unknown key `nosuch`")) {
            try RunConfig.parse(toml: "[nosuch]\nx = 1")
        }
    }

    @Test func commandLineOverridesSetAnyKeyAndNameBadOnes() throws {
        var c = RunConfig()
        try c.set("data.alpha=5.0")
        try c.set("method=fedit")
        try c.set("method = \"fedhds-pca\"")
        try c.set("eval.rounds=[1, 2]")
        try c.set("privacy.epsilon=10")
        try c.set("eval.before=false")
        #expect(
            c.alpha == 5.0 && c.method == .fedhdsPCA && c.evalRounds == [1, 2] && c.dpEpsilon == 10 && !c.evalBefore)
        #expect(
            throws: ActorsError.invalidConfiguration("unknown key `alpha` (did you mean data.alpha or lora.alpha?)")
        ) { try c.set("alpha=1") }
        #expect(throws: ActorsError.invalidConfiguration("`data.clients`: expected an integer, got 1.5")) {
            try c.set("data.clients=1.5")
        }
        #expect(throws: ActorsError.invalidConfiguration("override \"rounds\": expected KEY=VALUE")) {
            try c.set("rounds")
        }
        #expect(c.alpha == 5.0 && c.clients == 200)
    }

    @Test func badValuesNameTheKey() {
        #expect(
            throws: ActorsError.invalidConfiguration(
                "`method`: unknown value \"fedxx\"; expected one of fedhds, fedhds-turbo, fedit, fedit-sgd, flexlora, random, perplexity, coreset-cent, globalselect, globalselect-turbo, fedhds-no-inter, fedhds-last-layer, fedhds-pca, fedhds-kpca"
            )
        ) {
            try RunConfig.parse(toml: "method = \"fedxx\"")
        }
        #expect(throws: ActorsError.invalidConfiguration("`federation.participation`: 1.5 is outside 1e-09...1.0")) {
            try RunConfig.parse(toml: "[federation]\nparticipation = 1.5")
        }
        #expect(throws: ActorsError.invalidConfiguration("`rounds`: expected an integer, got \"3\"")) {
            try RunConfig.parse(toml: "rounds = \"3\"")
        }
        #expect(throws: ActorsError.invalidConfiguration("`eval.rounds` holds 9, after the last round (3)")) {
            try RunConfig.parse(toml: "rounds = 3\n[eval]\nrounds = [9]")
        }
    }

    @Test func renderedConfigurationParsesBackEqual() throws {
        var c = RunConfig()
        c.name = "a \"quoted\" name"
        c.method = .coresetCent
        c.learningRate = 3e-5
        c.evalRounds = [1, 5]
        c.dpEpsilon = 2.5
        c.transport = .zeromq
        let text = c.renderTOML()
        #expect(try RunConfig.parse(toml: text) == c)
        #expect(text.contains("[privacy]"))
    }

    @Test func shippedExperimentConfigurationsParse() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let tomls = files.filter { $0.hasSuffix(".toml") }
        #expect(tomls.contains("smoke.toml"))
        for f in tomls { _ = try RunConfig.load(path: dir.appendingPathComponent(f).path) }
        // The scenarios run on the simulated clock, their traces found from their own folder.
        let scenarios = dir.appendingPathComponent("scenarios")
        let more = try FileManager.default.contentsOfDirectory(atPath: scenarios.path).filter { $0.hasSuffix(".toml") }
        #expect(more.contains("smoke-stragglers.toml"))
        for f in more {
            let path = scenarios.appendingPathComponent(f).path
            let c = try RunConfig.load(path: path)
            #expect(c.clockKind == .simulated, "\(f)")
            #expect(try c.simulatedClock(configPath: path).system.clients == c.clients, "\(f)")
        }
    }
}
