// What a failover client sends when it restores its connection on a new
// master (ActiveMQ's ConnectionStateTracker): its ConnectionInfo with
// failoverReconnect set, the same connection, session and producer ids, and
// the send that was in flight under its original message id. Written with the
// ActiveMQ client's own command classes because the JMS API numbers a
// producer's sends itself; here the test chooses the producer id and the
// sequence numbers. Used by test/upgraded-store.test.ts.
//
//   java -cp <activemq-all jar> FailoverResend.java <tcp url> <queue> <producer connection id> <failoverReconnect> <seq>...
//
// Sends a persistent message for each producer sequence number, each
// acknowledged by the broker, then receives everything the queue holds. One
// JSON line on stdout: {"sent":[...],"received":["<message id>",...]}.
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import javax.jms.Connection;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.Session;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.command.ActiveMQTextMessage;
import org.apache.activemq.command.Command;
import org.apache.activemq.command.ConnectionId;
import org.apache.activemq.command.ConnectionInfo;
import org.apache.activemq.command.ExceptionResponse;
import org.apache.activemq.command.MessageId;
import org.apache.activemq.command.ProducerInfo;
import org.apache.activemq.command.SessionInfo;
import org.apache.activemq.command.ShutdownInfo;
import org.apache.activemq.transport.DefaultTransportListener;
import org.apache.activemq.transport.Transport;
import org.apache.activemq.transport.TransportFactory;

public class FailoverResend {
  private static final int TIMEOUT_MS = 15_000;

  public static void main(String[] args) throws Exception {
    String url = args[0];
    ActiveMQQueue queue = new ActiveMQQueue(args[1]);
    ConnectionInfo connection = new ConnectionInfo(new ConnectionId(args[2]));
    connection.setClientId(args[2]);
    connection.setFailoverReconnect(Boolean.parseBoolean(args[3]));

    Transport transport = TransportFactory.connect(new URI(url));
    transport.setTransportListener(new DefaultTransportListener());
    transport.start();
    request(transport, connection);
    SessionInfo session = new SessionInfo(connection, 1);
    request(transport, session);
    ProducerInfo producer = new ProducerInfo(session, 1);
    request(transport, producer);
    List<Long> sent = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      long seq = Long.parseLong(args[i]);
      ActiveMQTextMessage m = new ActiveMQTextMessage();
      m.setMessageId(new MessageId(producer, seq));
      m.setProducerId(producer.getProducerId());
      m.setDestination(queue);
      m.setPersistent(true);
      m.setText("producer sequence " + seq);
      request(transport, m);
      sent.add(seq);
    }
    request(transport, connection.createRemoveCommand());
    transport.oneway(new ShutdownInfo());
    transport.stop();

    List<String> received = new ArrayList<>();
    Connection jms = new ActiveMQConnectionFactory(url).createConnection();
    try {
      jms.start();
      Session s = jms.createSession(false, Session.AUTO_ACKNOWLEDGE);
      MessageConsumer consumer = s.createConsumer(queue);
      for (Message m; (m = consumer.receive(2_000)) != null; ) received.add(m.getJMSMessageID());
    } finally {
      jms.close();
    }
    StringBuilder out = new StringBuilder("{\"sent\":").append(sent).append(",\"received\":[");
    for (int i = 0; i < received.size(); i++) out.append(i == 0 ? "" : ",").append('"').append(received.get(i)).append('"');
    System.out.println(out.append("]}"));
  }

  /** Sends a command and waits for the broker's response; an error response fails the run. */
  private static void request(Transport transport, Command command) throws Exception {
    Object response = transport.request(command, TIMEOUT_MS);
    if (response == null) throw new Exception("no response within " + TIMEOUT_MS + " ms to " + command);
    if (response instanceof ExceptionResponse) throw new Exception("the broker refused " + command, ((ExceptionResponse) response).getException());
  }
}
