package amqkeeper.testclient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import java.util.Enumeration;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.TemporaryQueue;
import javax.jms.TextMessage;

import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQMessageProducer;
import org.apache.activemq.AsyncCallback;
import org.apache.activemq.RedeliveryPolicy;
import org.apache.activemq.ScheduledMessage;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.transport.TransportListener;
import org.apache.activemq.transport.failover.FailoverTransport;

/**
 * Test client for amq-keeper. Every line on stdout is one JSON object; the last
 * one has "event":"summary" (or "event":"fatal"). Diagnostics go to stderr, and
 * so does any event after that last line. The failover transport reports
 * transportInterrupted/transportResumed on its own threads, so one can come
 * after the summary: when the connection drops while it is closed, or when a
 * reconnect replays the last send and its reply reaches the producer before
 * the reconnect thread reports the resume.
 *
 * <pre>
 * ping      --url U [--timeout-ms T]
 * produce   --url U --queue Q --count N [--persistent | --non-persistent] [--async] [--start-seq S]
 *           [--payload-bytes B] [--timeout-ms T] [--progress-every K] [--ttl-ms L]
 *           [--delay-ms D] [--period-ms P] [--repeat R] [--cron C]
 * consume   --url U --queue Q --expect N [--start-seq S] [--idle-timeout-ms T]
 *           [--drain-ms D] [--timeout-ms T] [--progress-every K]
 * receive   --url U --queue Q --for-ms D [--max N] [--timeout-ms T]
 * consume-rollback --url U --queue Q --for-ms D [--mode transacted|client-ack] [--max N] [--timeout-ms T]
 * browse    --url U --queue Q [--max N] [--timeout-ms T]
 * scheduled --url U [--wait-ms W] [--timeout-ms T]
 * </pre>
 *
 * ping reports the options the connection actually took from the URL.
 * produce --delay-ms/--period-ms/--repeat/--cron set AMQ_SCHEDULED_*; --ttl-ms
 * sets a time to live. receive and consume-rollback emit one "message" line per
 * delivery with its wall-clock time (atMs, epoch ms); consume-rollback rolls
 * back (transacted) or recovers (client-ack) every delivery, so the message is
 * redelivered as the redelivery policies say. browse lists a queue without
 * consuming it; scheduled lists the broker's scheduled jobs (the
 * ActiveMQ.Scheduler.Management BROWSE action).
 *
 * Messages are TextMessages with an int property "seq" (S .. S+N-1). Exit
 * codes: 0 success, 1 the run finished but did not reach its goal (errors,
 * missing messages), 2 usage error, 3 fatal error / overall timeout.
 */
public final class Main {
    private static final Object OUT_LOCK = new Object();
    /** Set once the summary (or fatal) line is out; guarded by OUT_LOCK. */
    private static boolean ended;

    private Main() {
    }

    public static void main(String[] argv) {
        if (argv.length == 0) {
            usage("missing subcommand");
        }
        String cmd = argv[0];
        Args a;
        long timeoutMs;
        try {
            a = new Args(argv);
            timeoutMs = a.longOpt("timeout-ms", 120_000L);
        } catch (UsageException e) {
            usage(e.getMessage());
            return;
        }
        // Hard deadline: failover transports block forever while no broker is up.
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutMs);
            } catch (InterruptedException e) {
                return;
            }
            emit(obj("event", "fatal", "command", cmd, "error", "timeout after " + timeoutMs + " ms"));
            Runtime.getRuntime().halt(3);
        }, "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int rc;
        try {
            switch (cmd) {
                case "ping":
                    rc = ping(a);
                    break;
                case "produce":
                    rc = produce(a);
                    break;
                case "consume":
                    rc = consume(a);
                    break;
                case "receive":
                    rc = receive(a);
                    break;
                case "consume-rollback":
                    rc = consumeRollback(a);
                    break;
                case "browse":
                    rc = browse(a);
                    break;
                case "scheduled":
                    rc = scheduled(a);
                    break;
                default:
                    usage("unknown subcommand " + cmd);
                    return;
            }
        } catch (UsageException e) {
            usage(e.getMessage());
            return;
        } catch (Exception e) {
            emit(obj("event", "fatal", "command", cmd, "error", String.valueOf(e)));
            e.printStackTrace();
            rc = 3;
        }
        System.out.flush();
        // Do not wait for non-daemon client threads (failover reconnect loops).
        Runtime.getRuntime().halt(rc);
    }

    // ---------------------------------------------------------------- ping

    private static int ping(Args a) throws JMSException {
        String url = a.required("url");
        a.checkUnused();
        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "ping");
        try {
            c.start();
            emit(obj("event", "summary", "command", "ping", "ok", true,
                    "brokerName", c.getBrokerName(),
                    "remoteAddress", c.getTransport().getRemoteAddress(),
                    "elapsedMs", ms(t0),
                    "options", effectiveOptions(c)));
        } finally {
            closeQuietly(c);
        }
        return 0;
    }

    // ---------------------------------------------------------------- produce

    private static int produce(Args a) throws Exception {
        String url = a.required("url");
        String queueName = a.required("queue");
        int count = a.intOpt("count", -1);
        if (count < 0) {
            throw new UsageException("--count N is required");
        }
        boolean persistent = a.flag("persistent");
        if (a.flag("non-persistent")) {
            if (persistent) {
                throw new UsageException("--persistent and --non-persistent exclude each other");
            }
            persistent = false;
        }
        boolean async = a.flag("async");
        long startSeq = a.longOpt("start-seq", 0L);
        int payloadBytes = a.intOpt("payload-bytes", 0);
        int progressEvery = a.intOpt("progress-every", 0);
        long ttlMs = a.longOpt("ttl-ms", 0L);
        long delayMs = a.longOpt("delay-ms", -1L);
        long periodMs = a.longOpt("period-ms", -1L);
        int repeat = a.intOpt("repeat", -1);
        String cron = a.optional("cron");
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "produce");
        c.start();
        emit(obj("event", "connected", "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress(), "elapsedMs", ms(t0)));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(queueName);
        MessageProducer p = s.createProducer(q);
        p.setDeliveryMode(persistent ? DeliveryMode.PERSISTENT : DeliveryMode.NON_PERSISTENT);
        if (ttlMs > 0) {
            p.setTimeToLive(ttlMs);
        }
        String payload = "x".repeat(Math.max(0, payloadBytes));

        AtomicLong acked = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(count);
        List<Long> errorSeqs = java.util.Collections.synchronizedList(new ArrayList<>());
        long tSend = System.nanoTime();
        long firstSentAtMs = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            long seq = startSeq + i;
            TextMessage m = s.createTextMessage(payload);
            m.setLongProperty("seq", seq);
            if (delayMs >= 0) {
                m.setLongProperty(ScheduledMessage.AMQ_SCHEDULED_DELAY, delayMs);
            }
            if (periodMs >= 0) {
                m.setLongProperty(ScheduledMessage.AMQ_SCHEDULED_PERIOD, periodMs);
            }
            if (repeat >= 0) {
                m.setIntProperty(ScheduledMessage.AMQ_SCHEDULED_REPEAT, repeat);
            }
            if (cron != null) {
                m.setStringProperty(ScheduledMessage.AMQ_SCHEDULED_CRON, cron);
            }
            if (async) {
                ((ActiveMQMessageProducer) p).send(m, new AsyncCallback() {
                    @Override
                    public void onSuccess() {
                        acked.incrementAndGet();
                        done.countDown();
                    }

                    @Override
                    public void onException(JMSException e) {
                        errors.incrementAndGet();
                        errorSeqs.add(seq);
                        emit(obj("event", "sendError", "seq", seq, "error", String.valueOf(e)));
                        done.countDown();
                    }
                });
            } else {
                try {
                    p.send(m);
                    acked.incrementAndGet();
                } catch (JMSException e) {
                    errors.incrementAndGet();
                    errorSeqs.add(seq);
                    emit(obj("event", "sendError", "seq", seq, "error", String.valueOf(e)));
                }
                done.countDown();
            }
            if (progressEvery > 0 && (i + 1) % progressEvery == 0) {
                emit(obj("event", "progress", "sent", i + 1, "acked", acked.get(), "errors", errors.get(),
                        "elapsedMs", ms(t0)));
            }
        }
        long sendLoopMs = ms(tSend);
        long lastSentAtMs = System.currentTimeMillis();
        // async: wait for every callback (the watchdog bounds this)
        done.await();
        long elapsed = ms(t0);
        emit(obj("event", "summary", "command", "produce", "queue", queueName, "count", count,
                "persistent", persistent, "async", async, "startSeq", startSeq,
                "sent", count, "acked", acked.get(), "errors", errors.get(),
                "errorSeqs", firstN(errorSeqs, 1000), "sendLoopMs", sendLoopMs, "elapsedMs", elapsed,
                "brokerName", c.getBrokerName(), "remoteAddress", c.getTransport().getRemoteAddress(),
                "firstSentAtMs", firstSentAtMs, "lastSentAtMs", lastSentAtMs,
                "useAsyncSend", c.isUseAsyncSend(), "ttlMs", ttlMs));
        closeQuietly(c);
        return errors.get() == 0 && acked.get() == count ? 0 : 1;
    }

    // ---------------------------------------------------------------- consume

    private static int consume(Args a) throws Exception {
        String url = a.required("url");
        String queueName = a.required("queue");
        int expect = a.intOpt("expect", -1);
        if (expect < 0) {
            throw new UsageException("--expect N is required");
        }
        long startSeq = a.longOpt("start-seq", 0L);
        long idleTimeoutMs = a.longOpt("idle-timeout-ms", 5_000L);
        long drainMs = a.longOpt("drain-ms", 0L);
        int progressEvery = a.intOpt("progress-every", 0);
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "consume");
        c.start();
        emit(obj("event", "connected", "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress(), "elapsedMs", ms(t0)));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createQueue(queueName));

        BitSet seen = new BitSet(expect);
        long received = 0;
        long distinct = 0;
        long duplicates = 0;
        long redelivered = 0;
        long noSeq = 0;
        List<Long> outOfRange = new ArrayList<>();
        String stopReason;
        while (true) {
            long wait = distinct >= expect ? drainMs : idleTimeoutMs;
            if (wait <= 0) {
                stopReason = "expected count reached";
                break;
            }
            Message m = consumer.receive(wait);
            if (m == null) {
                stopReason = distinct >= expect ? "expected count reached, drained" : "idle timeout";
                break;
            }
            received++;
            if (m.getJMSRedelivered()) {
                redelivered++;
            }
            if (!m.propertyExists("seq")) {
                noSeq++;
                continue;
            }
            long seq = m.getLongProperty("seq");
            long idx = seq - startSeq;
            if (idx < 0 || idx >= expect) {
                if (outOfRange.size() < 1000) {
                    outOfRange.add(seq);
                }
                continue;
            }
            if (seen.get((int) idx)) {
                duplicates++;
            } else {
                seen.set((int) idx);
                distinct++;
            }
            if (progressEvery > 0 && received % progressEvery == 0) {
                emit(obj("event", "progress", "received", received, "distinct", distinct,
                        "duplicates", duplicates, "elapsedMs", ms(t0)));
            }
        }
        List<Long> missing = new ArrayList<>();
        long missingCount = 0;
        for (int i = seen.nextClearBit(0); i < expect; i = seen.nextClearBit(i + 1)) {
            missingCount++;
            if (missing.size() < 1000) {
                missing.add(startSeq + i);
            }
        }
        emit(obj("event", "summary", "command", "consume", "queue", queueName, "expect", expect,
                "startSeq", startSeq, "received", received, "distinct", distinct, "duplicates", duplicates,
                "redelivered", redelivered, "missingCount", missingCount, "missing", missing,
                "outOfRange", outOfRange, "withoutSeq", noSeq, "stopReason", stopReason,
                "elapsedMs", ms(t0), "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress()));
        closeQuietly(c);
        return missingCount == 0 ? 0 : 1;
    }

    // ---------------------------------------------------------------- receive

    /** Listens for --for-ms and reports every message with the time it arrived. */
    private static int receive(Args a) throws Exception {
        String url = a.required("url");
        String queueName = a.required("queue");
        long forMs = a.longOpt("for-ms", -1L);
        if (forMs < 0) {
            throw new UsageException("--for-ms D is required");
        }
        int max = a.intOpt("max", Integer.MAX_VALUE);
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "receive");
        c.start();
        long startedAtMs = System.currentTimeMillis();
        emit(obj("event", "connected", "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress(), "atMs", startedAtMs));
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createQueue(queueName));
        List<Map<String, Object>> messages = new ArrayList<>();
        long deadline = System.currentTimeMillis() + forMs;
        while (messages.size() < max) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            Message m = consumer.receive(left);
            if (m == null) {
                break;
            }
            Map<String, Object> d = describe(m, System.currentTimeMillis());
            emit(withEvent("message", d));
            messages.add(d);
        }
        emit(obj("event", "summary", "command", "receive", "queue", queueName, "received", messages.size(),
                "startedAtMs", startedAtMs, "messages", messages.size() <= 1000 ? messages : messages.subList(0, 1000),
                "elapsedMs", ms(t0), "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress()));
        closeQuietly(c);
        return 0;
    }

    // ---------------------------------------------------------------- consume-rollback

    /**
     * Receives for --for-ms and refuses every delivery: session.rollback()
     * (transacted) or session.recover() (client-ack). Each delivery is one
     * "message" line; the redelivery policies decide how often and when.
     */
    private static int consumeRollback(Args a) throws Exception {
        String url = a.required("url");
        String queueName = a.required("queue");
        long forMs = a.longOpt("for-ms", -1L);
        if (forMs < 0) {
            throw new UsageException("--for-ms D is required");
        }
        String mode = a.optional("mode");
        if (mode == null) {
            mode = "transacted";
        }
        if (!mode.equals("transacted") && !mode.equals("client-ack")) {
            throw new UsageException("--mode is transacted or client-ack, got " + mode);
        }
        int max = a.intOpt("max", Integer.MAX_VALUE);
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "consume-rollback");
        c.start();
        long startedAtMs = System.currentTimeMillis();
        emit(obj("event", "connected", "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress(), "atMs", startedAtMs,
                "options", effectiveOptions(c)));
        boolean transacted = mode.equals("transacted");
        Session s = c.createSession(transacted, transacted ? Session.SESSION_TRANSACTED : Session.CLIENT_ACKNOWLEDGE);
        MessageConsumer consumer = s.createConsumer(s.createQueue(queueName));
        List<Map<String, Object>> deliveries = new ArrayList<>();
        long deadline = System.currentTimeMillis() + forMs;
        while (deliveries.size() < max) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            Message m = consumer.receive(left);
            if (m == null) {
                break;
            }
            Map<String, Object> d = describe(m, System.currentTimeMillis());
            emit(withEvent("message", d));
            deliveries.add(d);
            if (transacted) {
                s.rollback();
            } else {
                s.recover();
            }
        }
        emit(obj("event", "summary", "command", "consume-rollback", "queue", queueName, "mode", mode,
                "deliveries", deliveries.size(), "startedAtMs", startedAtMs,
                "messages", deliveries.size() <= 1000 ? deliveries : deliveries.subList(0, 1000),
                "elapsedMs", ms(t0), "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress()));
        closeQuietly(c);
        return 0;
    }

    // ---------------------------------------------------------------- browse

    /** Lists a queue without consuming it. */
    private static int browse(Args a) throws Exception {
        String url = a.required("url");
        String queueName = a.required("queue");
        int max = a.intOpt("max", 1000);
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "browse");
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        QueueBrowser browser = s.createBrowser(s.createQueue(queueName));
        List<Map<String, Object>> messages = new ArrayList<>();
        int count = 0;
        Enumeration<?> e = browser.getEnumeration();
        long now = System.currentTimeMillis();
        while (e.hasMoreElements()) {
            Message m = (Message) e.nextElement();
            count++;
            if (messages.size() < max) {
                messages.add(describe(m, now));
            }
        }
        browser.close();
        emit(obj("event", "summary", "command", "browse", "queue", queueName, "count", count,
                "messages", messages, "elapsedMs", ms(t0), "brokerName", c.getBrokerName(),
                "remoteAddress", c.getTransport().getRemoteAddress()));
        closeQuietly(c);
        return 0;
    }

    // ---------------------------------------------------------------- scheduled

    /** The jobs in the connected broker's scheduler store (one reply per job). */
    private static int scheduled(Args a) throws Exception {
        String url = a.required("url");
        long waitMs = a.longOpt("wait-ms", 2_000L);
        a.checkUnused();

        long t0 = System.nanoTime();
        ActiveMQConnection c = connect(url, "scheduled");
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        TemporaryQueue replies = s.createTemporaryQueue();
        MessageConsumer consumer = s.createConsumer(replies);
        Destination management = s.createTopic(ScheduledMessage.AMQ_SCHEDULER_MANAGEMENT_DESTINATION);
        MessageProducer p = s.createProducer(management);
        Message request = s.createMessage();
        request.setStringProperty(ScheduledMessage.AMQ_SCHEDULER_ACTION, ScheduledMessage.AMQ_SCHEDULER_ACTION_BROWSE);
        request.setJMSReplyTo(replies);
        p.send(request);
        List<Map<String, Object>> jobs = new ArrayList<>();
        while (true) {
            Message m = consumer.receive(waitMs);
            if (m == null) {
                break;
            }
            Map<String, Object> d = describe(m, System.currentTimeMillis());
            d.put("jobId", m.getStringProperty(ScheduledMessage.AMQ_SCHEDULED_ID));
            jobs.add(d);
        }
        emit(obj("event", "summary", "command", "scheduled", "count", jobs.size(),
                "jobs", jobs.size() <= 1000 ? jobs : jobs.subList(0, 1000), "elapsedMs", ms(t0),
                "brokerName", c.getBrokerName(), "remoteAddress", c.getTransport().getRemoteAddress()));
        closeQuietly(c);
        return 0;
    }

    /** What a test needs to know about one delivery. */
    private static Map<String, Object> describe(Message m, long atMs) throws JMSException {
        Map<String, Object> d = obj("seq", m.propertyExists("seq") ? m.getLongProperty("seq") : null,
                "atMs", atMs, "messageId", m.getJMSMessageID(), "redelivered", m.getJMSRedelivered(),
                "deliveryCount", m.propertyExists("JMSXDeliveryCount") ? m.getIntProperty("JMSXDeliveryCount") : null,
                "persistent", m.getJMSDeliveryMode() == DeliveryMode.PERSISTENT,
                "expiration", m.getJMSExpiration(), "timestamp", m.getJMSTimestamp());
        if (m instanceof ActiveMQMessage am) {
            d.put("redeliveryCounter", am.getRedeliveryCounter());
            d.put("destination", String.valueOf(am.getDestination()));
            d.put("originalDestination", am.getOriginalDestination() == null ? null : String.valueOf(am.getOriginalDestination()));
            Object cause = m.getObjectProperty(ActiveMQMessage.DLQ_DELIVERY_FAILURE_CAUSE_PROPERTY);
            d.put("dlqDeliveryFailureCause", cause == null ? null : String.valueOf(cause));
            Object rd = m.getObjectProperty("redeliveryDelay");
            d.put("brokerRedeliveryDelay", rd);
            d.put("scheduledJobId", m.getObjectProperty(ScheduledMessage.AMQ_SCHEDULED_ID) == null ? null
                    : String.valueOf(m.getObjectProperty(ScheduledMessage.AMQ_SCHEDULED_ID)));
        }
        return d;
    }

    private static Map<String, Object> withEvent(String event, Map<String, Object> d) {
        Map<String, Object> m = obj("event", event);
        m.putAll(d);
        return m;
    }

    /** The options the connection took from the URL (proof they were applied, not just accepted). */
    private static Map<String, Object> effectiveOptions(ActiveMQConnection c) throws JMSException {
        RedeliveryPolicy rp = c.getRedeliveryPolicy();
        Map<String, Object> o = obj("useAsyncSend", c.isUseAsyncSend(),
                "redeliveryPolicy", obj("maximumRedeliveries", rp.getMaximumRedeliveries(),
                        "initialRedeliveryDelay", rp.getInitialRedeliveryDelay(),
                        "redeliveryDelay", rp.getRedeliveryDelay(),
                        "useExponentialBackOff", rp.isUseExponentialBackOff(),
                        "backOffMultiplier", rp.getBackOffMultiplier(),
                        "maximumRedeliveryDelay", rp.getMaximumRedeliveryDelay()));
        FailoverTransport ft = c.getTransport().narrow(FailoverTransport.class);
        if (ft != null) {
            o.put("failover", obj("randomize", ft.isRandomize(),
                    "maxReconnectAttempts", ft.getMaxReconnectAttempts(),
                    "initialReconnectDelay", ft.getInitialReconnectDelay(),
                    "maxReconnectDelay", ft.getMaxReconnectDelay(),
                    "startupMaxReconnectAttempts", ft.getStartupMaxReconnectAttempts(),
                    "timeout", ft.getTimeout()));
        }
        return o;
    }

    // ---------------------------------------------------------------- helpers

    private static ActiveMQConnection connect(String url, String command) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        // The login, from the environment so that it never shows in a process list.
        String user = System.getenv("AMQ_USERNAME");
        ActiveMQConnection c = (ActiveMQConnection) (user == null || user.isEmpty()
                ? f.createConnection()
                : f.createConnection(user, System.getenv("AMQ_PASSWORD")));
        c.addTransportListener(new TransportListener() {
            @Override
            public void onCommand(Object command) {
            }

            @Override
            public void onException(IOException error) {
                emit(obj("event", "transportException", "error", String.valueOf(error)));
            }

            @Override
            public void transportInterupted() {
                emit(obj("event", "transportInterrupted", "atMs", System.currentTimeMillis()));
            }

            @Override
            public void transportResumed() {
                emit(obj("event", "transportResumed", "atMs", System.currentTimeMillis(),
                        "remoteAddress", c.getTransport().getRemoteAddress()));
            }
        });
        return c;
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (JMSException | RuntimeException e) {
            System.err.println("close: " + e);
        }
    }

    private static long ms(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static List<Long> firstN(List<Long> l, int n) {
        synchronized (l) {
            return new ArrayList<>(l.subList(0, Math.min(n, l.size())));
        }
    }

    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** One line on stdout; the summary or fatal line is the last, later events go to stderr. */
    static void emit(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        json(b, m);
        Object event = m.get("event");
        synchronized (OUT_LOCK) {
            if (ended) {
                System.err.println("after the summary: " + b);
                System.err.flush();
                return;
            }
            System.out.println(b);
            System.out.flush();
            ended = "summary".equals(event) || "fatal".equals(event);
        }
    }

    private static void json(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Map<?, ?> map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                str(b, String.valueOf(e.getKey()));
                b.append(':');
                json(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> list) {
            b.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                json(b, list.get(i));
            }
            b.append(']');
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else {
            str(b, String.valueOf(v));
        }
    }

    private static void str(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        b.append('"');
    }

    private static void usage(String why) {
        System.err.println("error: " + why);
        System.err.println("usage: run.sh ping --url U [--timeout-ms T]");
        System.err.println("       run.sh produce --url U --queue Q --count N [--persistent | --non-persistent] [--async]");
        System.err.println("                      [--start-seq S] [--payload-bytes B] [--timeout-ms T] [--progress-every K]");
        System.err.println("                      [--ttl-ms L] [--delay-ms D] [--period-ms P] [--repeat R] [--cron C]");
        System.err.println("       run.sh consume --url U --queue Q --expect N [--start-seq S] [--idle-timeout-ms T]");
        System.err.println("                      [--drain-ms D] [--timeout-ms T] [--progress-every K]");
        System.err.println("       run.sh receive --url U --queue Q --for-ms D [--max N] [--timeout-ms T]");
        System.err.println("       run.sh consume-rollback --url U --queue Q --for-ms D [--mode transacted|client-ack] [--max N]");
        System.err.println("       run.sh browse --url U --queue Q [--max N] [--timeout-ms T]");
        System.err.println("       run.sh scheduled --url U [--wait-ms W] [--timeout-ms T]");
        emit(obj("event", "fatal", "error", "usage: " + why));
        System.out.flush();
        Runtime.getRuntime().halt(2);
    }

    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String m) {
            super(m);
        }
    }

    /** --key value and --flag options after the subcommand. */
    static final class Args {
        private final Map<String, String> values = new HashMap<>();
        private final Map<String, Boolean> used = new HashMap<>();

        Args(String[] argv) {
            for (int i = 1; i < argv.length; i++) {
                String k = argv[i];
                if (!k.startsWith("--")) {
                    throw new UsageException("unexpected argument " + k);
                }
                k = k.substring(2);
                int eq = k.indexOf('=');
                if (eq >= 0) {
                    values.put(k.substring(0, eq), k.substring(eq + 1));
                } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                    values.put(k, argv[++i]);
                } else {
                    values.put(k, null);
                }
            }
        }

        String required(String k) {
            String v = values.get(k);
            used.put(k, true);
            if (v == null || v.isEmpty()) {
                throw new UsageException("--" + k + " is required");
            }
            return v;
        }

        String optional(String k) {
            used.put(k, true);
            String v = values.get(k);
            if (values.containsKey(k) && (v == null || v.isEmpty())) {
                throw new UsageException("--" + k + " needs a value");
            }
            return v;
        }

        boolean flag(String k) {
            used.put(k, true);
            if (!values.containsKey(k)) {
                return false;
            }
            String v = values.get(k);
            return v == null || Boolean.parseBoolean(v);
        }

        long longOpt(String k, long def) {
            used.put(k, true);
            String v = values.get(k);
            if (v == null) {
                return def;
            }
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + k + " needs a number, got " + v);
            }
        }

        int intOpt(String k, int def) {
            long v = longOpt(k, def);
            if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                throw new UsageException("--" + k + " out of range");
            }
            return (int) v;
        }

        void checkUnused() {
            for (String k : values.keySet()) {
                if (!used.containsKey(k)) {
                    throw new UsageException("unknown option --" + k);
                }
            }
        }
    }
}
