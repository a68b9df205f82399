namespace Alkanet.Farm.Queue;

/// <summary>
/// The farm's queues on RabbitMQ. Per guest kind there is one durable quorum queue per priority level (RabbitMQ
/// 3.10's quorum queues have no message priorities): <c>alkanet.KIND.p2</c> (high), <c>.p1</c>, <c>.p0</c> (low). A
/// worker takes from the highest non-empty level first. A kind's task queues dead-letter to <c>alkanet.KIND.dead</c>
/// (rejected for good, or over the broker's delivery limit), which the service reads to mark those tasks failed.
/// </summary>
public static class TaskQueues
{
    public static string DeadLetter(string kind) => $"alkanet.{kind}.dead";

    /// <summary>Priorities a submission may ask for: 0 low, 1 normal (the default), 2 high.</summary>
    public const int MaxPriority = 2;

    /// <summary>The broker's own bound on deliveries of one message (redeliveries after nacks and dropped channels):
    /// a backstop, since workers count attempts in the database and give up after the task's maximum.</summary>
    public const int DeliveryLimit = 20;

    public static string Name(string kind, int priority) => $"alkanet.{kind}.p{priority}";

    /// <summary>The queues of a kind, most urgent first (the order a worker polls them).</summary>
    public static IEnumerable<string> ByUrgency(string kind)
    {
        for (var p = MaxPriority; p >= 0; p--) yield return Name(kind, p);
    }

    public static Dictionary<string, object?> Arguments(string kind) => new()
    {
        ["x-queue-type"] = "quorum",
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = DeadLetter(kind),
        ["x-delivery-limit"] = DeliveryLimit,
    };
}

/// <summary>The body of a task message (JSON): only the id; everything else is read from the database when it runs,
/// so a cancelled or reused task is seen as such and a message stays tiny.</summary>
public sealed record TaskMessage(long Task, string Kind, int Priority);
