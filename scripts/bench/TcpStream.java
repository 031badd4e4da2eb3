import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP stream for benchmarks, run as a single-file program (java TcpStream.java ...):
 *   server ADDRESS PORT [N]      accepts N connections (default 1) one after the other, reads each to its end,
 *                                prints "received BYTES in SECONDS s: GBIT Gbit/s" for each
 *   client ADDRESS PORT BYTES... one connection per BYTES, each written and closed after the server's close
 */
public class TcpStream {
    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("server")) {
            try (ServerSocket ss = new ServerSocket()) {
                ss.setReceiveBufferSize(4 << 20);
                ss.bind(new InetSocketAddress(args[1], Integer.parseInt(args[2])));
                System.out.println("listening");
                System.out.flush();
                int connections = args.length > 3 ? Integer.parseInt(args[3]) : 1;
                for (int c = 0; c < connections; c++)
                try (Socket s = ss.accept(); InputStream in = s.getInputStream()) {
                    byte[] b = new byte[1 << 20];
                    long total = 0;
                    long start = 0;
                    int n;
                    while ((n = in.read(b)) > 0) {
                        if (start == 0) {
                            start = System.nanoTime();
                        }
                        total += n;
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    System.out.printf("received %d in %.3f s: %.3f Gbit/s%n", total, seconds, total * 8 / seconds / 1e9);
                    System.out.flush();
                }
            }
        } else if (args.length >= 4 && args[0].equals("client")) {
            for (int c = 3; c < args.length; c++) {
            long bytes = Long.parseLong(args[c]);
            try (Socket s = new Socket()) {
                s.setSendBufferSize(4 << 20);
                s.connect(new InetSocketAddress(args[1], Integer.parseInt(args[2])), 5000);
                OutputStream out = s.getOutputStream();
                byte[] b = new byte[1 << 20];
                for (long left = bytes; left > 0; left -= b.length) {
                    out.write(b, 0, (int) Math.min(b.length, left));
                }
                s.shutdownOutput();
                s.getInputStream().read();
            }
            }
        } else {
            System.err.println("usage: TcpStream server ADDRESS PORT | client ADDRESS PORT BYTES");
            System.exit(2);
        }
    }
}
