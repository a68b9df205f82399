using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;
using Npgsql;

namespace Alkanet.Farm.Tests;

/// <summary>A one-machine farm for a test: <c>alkanet serve</c> on free ports with a database of its own, workers for
/// a kind of its own (the test runner by default, so a task streams synthetic records through the real logger
/// protocol instead of booting QEMU), and an HTTP client for the API.</summary>
public sealed class TestFarm : IDisposable
{
    private readonly FarmServers _servers;
    private readonly string _dir;
    private readonly List<AlkanetProcess> _workers = [];

    /// <param name="kind">The farm's one guest kind (default: a fresh one, so tests never share queues).</param>
    public TestFarm(FarmServers servers, int maxAttempts = 3, long maxSampleBytes = 1 << 20, string? kind = null)
    {
        _servers = servers;
        Kind = kind ?? servers.NewKind();
        Database = servers.Postgres.CreateDatabase();
        _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"alkanet-farm-test-{Guid.NewGuid():N}")).FullName;
        Token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        TokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(TokenFile, Token + "\n");
        TracerPort = FreePort.Next();
        HttpPort = FreePort.Next();
        Service = new AlkanetProcess("alkanet serve: runs stream to", "serve", "--listen", $"127.0.0.1:{TracerPort}", "--http",
            $"127.0.0.1:{HttpPort}",
            "--token-file", TokenFile, "--database", Database, "--broker", servers.Rabbit.Uri, "--kinds", Kind,
            "--max-attempts", maxAttempts.ToString(CultureInfo.InvariantCulture),
            "--max-sample-bytes", maxSampleBytes.ToString(CultureInfo.InvariantCulture));
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Kind { get; }

    public string Database { get; }

    public string Token { get; }

    public string TokenFile { get; }

    public int TracerPort { get; }

    public int HttpPort { get; }

    public AlkanetProcess Service { get; }

    public HttpClient Http { get; }

    public static string TestRunner => $"dotnet {Path.Combine(AppContext.BaseDirectory, "alkanet-test-runner.dll")}";

    /// <summary>Starts <c>alkanet worker</c>; returns it once it runs (its name is in <see cref="WorkerName"/>).</summary>
    /// <param name="realRun">Run tasks with the real <c>alkanet run</c> (the worker's default) instead of the test runner.</param>
    /// <param name="extra">More worker options (e.g. <c>--image DISK</c> for a Windows kind).</param>
    public AlkanetProcess StartWorker(int slots, string leeway = "60s", bool realRun = false, IReadOnlyList<string>? extra = null)
    {
        string[] args = ["worker", "--broker", _servers.Rabbit.Uri, "--database", Database,
            "--logger", $"127.0.0.1:{TracerPort}", "--token-file", TokenFile, "--kind", Kind, "--slots", slots.ToString(CultureInfo.InvariantCulture),
            "--work", Path.Combine(_dir, $"work-{_workers.Count}"), "--leeway", leeway, .. extra ?? []];
        var w = new AlkanetProcess("alkanet worker: ", realRun ? args : [.. args, "--runner", TestRunner]);
        _workers.Add(w);
        return w;
    }

    public static string WorkerName(AlkanetProcess worker) =>
        worker.Line("alkanet worker: ")!.Split("alkanet worker: ", 2)[1].Split(',')[0];

    /// <summary>POSTs a submission; returns the response (status and JSON body).</summary>
    /// <param name="files">More file parts (e.g. <c>yara</c>): field, file name, bytes.</param>
    public async Task<(HttpStatusCode Status, JsonElement Body)> SubmitAsync(byte[] sample, string name = "sample.txt",
        IReadOnlyDictionary<string, string>? fields = null, string? token = "",
        IReadOnlyList<(string Field, string Name, byte[] Bytes)>? files = null)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (field, fileName, bytes) in (IEnumerable<(string, string, byte[])>)[("sample", name, sample), .. files ?? []])
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, field, fileName);
        }
        var all = new Dictionary<string, string>(fields ?? new Dictionary<string, string>());
        all.TryAdd("kind", Kind);
        foreach (var (k, v) in all) form.Add(new StringContent(v), k);
        return await SendAsync(form, token);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpContent content, string? token = "")
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, "api/tasks") { Content = content };
        if (token is not null) req.Headers.Add("X-Alkanet-Token", token.Length == 0 ? Token : token);
        using var resp = await Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        return (resp.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
    }

    public static byte[] Script(string text) => System.Text.Encoding.UTF8.GetBytes(text.Replace("\r", "", StringComparison.Ordinal));

    public async Task<long> SubmitOkAsync(string script, IReadOnlyDictionary<string, string>? fields = null)
    {
        var (status, body) = await SubmitAsync(Script(script), fields: fields);
        status.ShouldBe(HttpStatusCode.Created, body.ToString());
        return body.GetProperty("id").GetInt64();
    }

    public async Task<TaskDetail> DetailAsync(long id)
    {
        var json = await Http.GetStringAsync($"api/tasks/{id}");
        return JsonSerializer.Deserialize<TaskDetail>(json, FarmJson.Options)!;
    }

    /// <summary>Waits until every task has ended (done, failed or cancelled); fails with their states if they do not.</summary>
    public async Task<IReadOnlyList<TaskDetail>> WaitEndedAsync(IReadOnlyList<long> ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var details = new List<TaskDetail>();
            try
            {
                foreach (var id in ids) details.Add(await DetailAsync(id));
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // the service's database is restarting (the outage tests): ask again
                await Task.Delay(1000);
                continue;
            }
            if (details.All(d => TaskStates.IsTerminal(d.Task.State))) return details;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("tasks still not ended: " + string.Join("; ", details.Where(d => !TaskStates.IsTerminal(d.Task.State))
                    .Select(d => $"{d.Task.Id} {d.Task.State} attempts={d.Task.Attempts}"))
                    + "\nservice:\n" + Service.Output[^Math.Min(4000, Service.Output.Length)..]
                    + "\nworkers:\n" + string.Join("\n--\n", _workers.Select(w => w.Output[^Math.Min(4000, w.Output.Length)..])));
            await Task.Delay(500);
        }
    }

    /// <summary>Waits for a condition on a task (e.g. records arriving), polling its detail.</summary>
    public async Task<TaskDetail> WaitForAsync(long id, Func<TaskDetail, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var d = await DetailAsync(id);
            if (condition(d)) return d;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"task {id}: condition not met; last state {d.Task.State}, attempts {d.Task.Attempts}");
            await Task.Delay(250);
        }
    }

    /// <summary>Straight from the database: a run's stored records (count, first and last no, LOSS markers, distinct numbers).</summary>
    public (long Count, long First, long Last, long Loss, long Distinct, string? State) StoredRun(string runId)
    {
        using var c = new NpgsqlConnection(Database);
        c.Open();
        using var cmd = new NpgsqlCommand("""
            SELECT count(r.no), COALESCE(min(r.no), -1), COALESCE(max(r.last_no), -1), count(*) FILTER (WHERE r.logtype = 2),
                   count(DISTINCT r.no), (SELECT state FROM runs WHERE run_id = $1)
            FROM runs JOIN records r ON r.run = runs.key WHERE runs.run_id = $1
            """, c);
        cmd.Parameters.AddWithValue(runId);
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5));
    }

    public long Scalar(string sql)
    {
        using var c = new NpgsqlConnection(Database);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        foreach (var w in _workers) w.Dispose();
        Service.Dispose();
        Http.Dispose();
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
