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

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;

import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQMessageProducer;
import org.apache.activemq.AsyncCallback;
import org.apache.activemq.transport.TransportListener;

/**
 * Test client for amq-keeper. Every line on stdout is one JSON object; the last
 * one has "event":"summary" (or "event":"fatal"). Diagnostics go to stderr.
 *
 * <pre>
 * ping    --url U [--timeout-ms T]
 * produce --url U --queue Q --count N [--persistent] [--async] [--start-seq S]
 *         [--payload-bytes B] [--timeout-ms T] [--progress-every K]
 * consume --url U --queue Q --expect N [--start-seq S] [--idle-timeout-ms T]
 *         [--drain-ms D] [--timeout-ms T] [--progress-every K]
 * </pre>
 *
 * Messages are TextMessages with an int property "seq" (S .. S+N-1). Exit
 * codes: 0 success, 1 the run finished but did not reach its goal (errors,
 * missing messages), 2 usage error, 3 fatal error / overall timeout.
 */
public final class Main {
    private static final Object OUT_LOCK = new Object();

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
                    "elapsedMs", ms(t0)));
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
        boolean async = a.flag("async");
        long startSeq = a.longOpt("start-seq", 0L);
        int payloadBytes = a.intOpt("payload-bytes", 0);
        int progressEvery = a.intOpt("progress-every", 0);
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
        String payload = "x".repeat(Math.max(0, payloadBytes));

        AtomicLong acked = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(count);
        List<Long> errorSeqs = java.util.Collections.synchronizedList(new ArrayList<>());
        long tSend = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long seq = startSeq + i;
            TextMessage m = s.createTextMessage(payload);
            m.setLongProperty("seq", seq);
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
        // async: wait for every callback (the watchdog bounds this)
        done.await();
        long elapsed = ms(t0);
        emit(obj("event", "summary", "command", "produce", "queue", queueName, "count", count,
                "persistent", persistent, "async", async, "startSeq", startSeq,
                "sent", count, "acked", acked.get(), "errors", errors.get(),
                "errorSeqs", firstN(errorSeqs, 1000), "sendLoopMs", sendLoopMs, "elapsedMs", elapsed,
                "brokerName", c.getBrokerName(), "remoteAddress", c.getTransport().getRemoteAddress()));
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

    // ---------------------------------------------------------------- helpers

    private static ActiveMQConnection connect(String url, String command) throws JMSException {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(url);
        ActiveMQConnection c = (ActiveMQConnection) f.createConnection();
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

    static void emit(Map<String, Object> m) {
        StringBuilder b = new StringBuilder();
        json(b, m);
        synchronized (OUT_LOCK) {
            System.out.println(b);
            System.out.flush();
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
        System.err.println("       run.sh produce --url U --queue Q --count N [--persistent] [--async] [--start-seq S]");
        System.err.println("                      [--payload-bytes B] [--timeout-ms T] [--progress-every K]");
        System.err.println("       run.sh consume --url U --queue Q --expect N [--start-seq S] [--idle-timeout-ms T]");
        System.err.println("                      [--drain-ms D] [--timeout-ms T] [--progress-every K]");
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
