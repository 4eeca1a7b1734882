import Foundation
import Testing
@testable import NSTTransfer
import NSTTestSupport

@Suite("L-BFGS history memory budget")
struct HistoryBudgetTests {
    /// Optimised floats of an RGB image.
    static func variables(_ width: Int, _ height: Int) -> Int { 3 * width * height }

    func decode(_ json: String) throws -> RunConfiguration {
        try RunConfiguration.decode(from: Data(json.utf8), source: "test.json")
    }

    @Test("the default 768 MiB keeps 100 pairs at 512², 32 at 1024², 8 at 2048²")
    func defaultBudget() {
        let config = RunConfiguration()
        #expect(LBFGS.bytesPerPair(variables: Self.variables(512, 512)) == 6 << 20)
        #expect(LBFGS.bytesPerPair(variables: Self.variables(2048, 2048)) == 96 << 20)
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(512, 512)) == 100)
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(1024, 1024)) == 32)
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(2048, 2048)) == 8)
    }

    @Test("a custom budget or history: the smaller of the two counts, never below one pair")
    func customBudget() {
        var config = RunConfiguration()
        config.lbfgsHistoryMiB = 2048
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(512, 512)) == 100)
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(1024, 1024)) == 85)   // ⌊2048 / 24⌋
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(2048, 2048)) == 21)   // ⌊2048 / 96⌋
        config.lbfgsHistoryMiB = 100
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(512, 512)) == 16)     // ⌊100 / 6⌋
        config.lbfgsHistoryMiB = 1
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(2048, 2048)) == 1)    // 96 MiB > budget: floor
        config = RunConfiguration()
        config.lbfgsHistory = 10
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(1024, 1024)) == 10)
        #expect(config.effectiveLBFGSHistory(variables: Self.variables(2048, 2048)) == 8)
        #expect(LBFGS.history(requested: 100, budgetMiB: .max, variables: Self.variables(2048, 2048)) == 100)
    }

    @Test("lbfgs_history_mib decodes, round-trips, is omitted at its default, and near-misses are suggested")
    func configurationKey() throws {
        #expect(try decode("{}").lbfgsHistoryMiB == 768)
        let config = try decode(#"{"lbfgs_history_mib": 2048, "lbfgs_history": 50}"#)
        #expect(config.lbfgsHistoryMiB == 2048 && config.lbfgsHistory == 50)
        let encoded = try JSONEncoder().encode(config)
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""lbfgs_history_mib":2048"#))
        #expect(try RunConfiguration.decode(from: encoded) == config)
        // At the default the key stays out, so existing sweep configurations keep their hashes.
        #expect(!String(decoding: try JSONEncoder().encode(RunConfiguration()), as: UTF8.self).contains("lbfgs_history_mib"))
        #expect(throws: ConfigurationError.unknownKey(path: "lbfgs_history_mb", suggestion: "lbfgs_history_mib")) {
            try decode(#"{"lbfgs_history_mb": 512}"#)
        }
        do {
            _ = try decode(#"{"lbfgs_history_mib": "lots"}"#)
            Issue.record("a string budget decoded")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("lbfgs_history_mib") && error.description.contains("integer"), "\(error)")
        }
    }

    @Test("a budget below 1 MiB is refused, naming the key and the value")
    func nonPositiveBudget() throws {
        for value in [0, -64] {
            var config = RunConfiguration()
            config.content = exampleImage("content/coffee.png")
            config.style = [exampleImage("styles/ihc.png")]
            config.lbfgsHistoryMiB = value
            do {
                try config.validate()
                Issue.record("lbfgs_history_mib = \(value) passed validation")
            } catch let error as ConfigurationError {
                guard case let .invalidValue(key, shown, hint) = error else {
                    Issue.record("unexpected error \(error)"); continue
                }
                #expect(key == "lbfgs_history_mib" && shown == "\(value)" && hint.contains("MiB"), "\(error)")
            }
        }
    }

    @Test("the plan notices once, listing every scale the budget cuts", .needsSharedImages)
    func planNotice() throws {
        var config = RunConfiguration()
        config.content = sharedImage("gatys/tubingen.jpg")   // 4:3, so 2048 px wide is 2048×1536
        config.style = [sharedImage("gatys/starry_night.jpg")]
        #expect(try config.plan().historyNotice == nil)   // 512×384 keeps all 100 pairs
        config.scales = [512, 1024, 2048, 2048]
        let plan = try config.plan()
        let notice = try #require(plan.historyNotice)
        // 1024×768: 18 MiB a pair, ⌊768 / 18⌋ = 42; 2048×1536: 72 MiB, ⌊768 / 72⌋ = 10.
        #expect(notice.message == "L-BFGS keeps 42 pairs at 1024×768 (18 MiB per pair), 10 pairs at 2048×1536 "
            + "(72 MiB per pair) instead of lbfgs_history 100, to stay within lbfgs_history_mib 768; "
            + "raise lbfgs_history_mib to keep more")
        #expect(plan.notices.filter { $0.message.contains("L-BFGS") }.count == 1)
        config.lbfgsHistoryMiB = 1
        #expect(try config.plan().historyNotice?.message.contains("one pair alone exceeds the budget at 512×384, 1024×768, 2048×1536") == true)
        config.optimizer = .adam
        #expect(try config.plan().historyNotice == nil)
    }

    @Test("a transfer with the history cut to 2 pairs runs, lowers the loss and differs from the full history")
    func transferWithTwoPairs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var config = tinyConfiguration(output: folder.appendingPathComponent("cut.png"))
        config.size = 148   // 148×99: 3·148·99 floats, 343 KiB a pair, so 1 MiB holds 2
        config.lbfgsHistoryMiB = 1
        let transfer = try StyleTransfer(configuration: config, weights: tinyWeights)
        #expect(transfer.plan.notices.map(\.description) == [
            "notice: L-BFGS keeps 2 pairs at 148×99 (0.335 MiB per pair) instead of lbfgs_history 100, to stay within "
            + "lbfgs_history_mib 1; raise lbfgs_history_mib to keep more"])
        let optimizer = transfer.makeOptimizer(variables: Self.variables(148, 99), objective: { _, _ in 0 })
        #expect((optimizer as? LBFGS)?.history == 2)
        let cut = try transfer.run()
        #expect(cut.stopReason == .completed && cut.iterations == 8)
        let first = try #require(cut.history.first), last = try #require(cut.history.last)
        #expect(last.losses.total < 0.5 * first.losses.total, "\(first.losses.total) → \(last.losses.total)")

        config.lbfgsHistoryMiB = RunConfiguration().lbfgsHistoryMiB
        config.output = folder.appendingPathComponent("full.png").path
        let full = try StyleTransfer(configuration: config, weights: tinyWeights)
        #expect(full.plan.historyNotice == nil)
        let fullResult = try full.run()
        // Both keep every pair for the first three steps (at most two exist), then the cut history forgets.
        let totals = { (r: TransferResult) in r.history.map(\.losses.total) }
        #expect(Array(totals(cut).prefix(4)) == Array(totals(fullResult).prefix(4)))
        #expect(totals(cut).last != totals(fullResult).last)
    }
}
