// play — chapter 05's playground: a web page on this machine where you type the start of a
// poem, choose the decoding strategy and its settings, and watch the trained GPT write the
// rest one token at a time, each token with the probability the model gave it.
//
//   ./book play                                        # http://127.0.0.1:8805/ (trains nothing: ./book run gpt first)
//   ./build/chapters/05-nlg/play --port 8080 --model build/results/05-nlg/hf
//
// It answers on 127.0.0.1 only:
//   GET /          the page (play.html, from this folder)
//   GET /info      the model's size and the limits of a request, as JSON
//   GET /generate  ?prime=床前&strategy=greedy|sample|top-k|top-p|beam&temperature=0.8&top_k=20&top_p=0.9
//                  &max_new_tokens=64&beam_width=4&seed=1 (all but prime optional): server-sent events,
//                  {"start": true, ...}, one {"text": "月", "probability": 0.31} per token as it is
//                  generated (beam search: all at the end), then {"done": true, ...};
//                  a bad request gets 400 and {"error": "what is wrong and what is allowed"}.
// One generation runs at a time; a request waits up to 10 s for the one before it (then 503).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <dl/app.hpp>
#include <dl/threads.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "gpt.hpp"
#include "play.hpp"

namespace {
namespace fs = std::filesystem;
using Json = dl::app::Json;
using ch05::play::Method;

constexpr const char* kHost = "127.0.0.1";  // never reachable from another machine
constexpr int kDefaultPort = 8805;
constexpr auto kWaitForModel = std::chrono::seconds(10);  // how long a request waits for the previous one
constexpr double kSecondsPerRequest = 60;                 // a generation stops after this long
constexpr size_t kMaxBody = 4096;                         // requests carry no body; refuse big ones

// The server, so that Ctrl-C (SIGINT) and SIGTERM can stop it cleanly.
std::atomic<httplib::Server*> running_server{nullptr};
std::atomic<bool> stopping{false};
void stop_server(int) {
  stopping = true;
  if (httplib::Server* server = running_server.load()) server->stop();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw dl::FileError(path + ": cannot read the playground's page");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const Json& value) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(dump(value), "application/json");
}

// What the server keeps between requests. The model and its generator are not thread-safe:
// `busy` lets one generation run at a time.
struct Playground {
  explicit Playground(ch05::Pretrained p) : pretrained(std::move(p)) {}
  ch05::Pretrained pretrained;
  std::string model_dir, page;
  ch05::play::Limits limits;
  int stop_id = -1;
  std::chrono::milliseconds delay{0};  // --delay-ms: a pause after each token
  std::timed_mutex busy;
  dl::Generator seeds;  // draws the seed of a request that gives none
};

// The model's probability of each token of `generated` as `generate` reports them (softmax of
// the raw scores), for beam search, which returns ids only: one pass over the prompt, cropped as
// beam_generate crops it (its last n_positions - 1 tokens), and the generated tokens, which fit.
std::vector<float> probabilities_of(dl::nn::GPT& model, const std::vector<int>& prompt, const std::vector<int>& generated) {
  if (generated.empty()) return {};
  const size_t context = static_cast<size_t>(model.config.n_positions);
  const size_t vocab = static_cast<size_t>(model.config.vocab_size);
  std::vector<int> text(prompt.size() >= context ? prompt.end() - static_cast<std::ptrdiff_t>(context - 1) : prompt.begin(),
                        prompt.end());
  const size_t first = text.size();  // the row of the scores that predict generated[0], plus 1
  text.insert(text.end(), generated.begin(), generated.end());
  const int64_t steps = static_cast<int64_t>(text.size()) - 1;  // the last token predicts nothing we need
  dl::no_grad guard;
  const dl::Tensor logits = model.forward(std::span<const int>(text).first(static_cast<size_t>(steps)), 1, steps);
  std::vector<float> probs, row(vocab);
  for (size_t i = 0; i < generated.size(); ++i) {
    dl::decode::softmax(std::span<const float>(logits.data() + (first - 1 + i) * vocab, vocab), row);  // (steps, V)
    probs.push_back(row[static_cast<size_t>(generated[i])]);
  }
  return probs;
}

// Runs one checked request and writes its events to `sink`: start, one per token, done.
void generate_events(Playground& pg, const ch05::play::Request& r, httplib::DataSink& sink) {
  const auto send = [&](const Json& event) {
    const std::string text = "data: " + dump(event) + "\n\n";
    return sink.write(text.data(), text.size());
  };
  const dl::data::CharVocab& vocab = pg.pretrained.vocab;
  dl::nn::GPT& model = *pg.pretrained.model;
  std::vector<std::string> unknown;
  const std::vector<int> prompt = ch05::play::encode_prime(vocab, r.prime, unknown);
  const uint64_t seed = r.seed ? *r.seed : pg.seeds.below(uint64_t{1} << 53);
  Json start = {{"start", true}, {"strategy", ch05::play::method_name(r.method)}, {"prime_tokens", prompt.size()},
                {"unknown", unknown}};
  const bool samples = r.method == Method::sample || r.method == Method::top_k || r.method == Method::top_p;
  if (samples) start["seed"] = seed;  // the same seed and settings give the same text again
  if (!send(start)) return;

  const dl::app::Timer timer;
  std::vector<int> ids;  // the tokens written, the end mark included
  bool out_of_time = false, client_gone = false;
  int slides = 0;
  const auto token_event = [&](int id, float probability) {
    return Json{{"text", vocab.decode({id})}, {"probability", dl::app::json_float(probability)}, {"id", id}};
  };
  // The end mark that closes a poem ends the text; it is not shown.
  if (r.method == Method::beam) {
    ids = dl::nn::beam_generate(model, prompt, r.beam_width, r.options.max_new_tokens, pg.stop_id);
    const std::vector<float> probs = probabilities_of(model, prompt, ids);
    for (size_t i = 0; i < ids.size() && ids[i] != pg.stop_id && !client_gone; ++i)
      client_gone = !send(token_event(ids[i], probs[i]));
  } else {
    dl::Generator gen(seed);
    dl::nn::GenerateOptions options = r.options;
    options.suppress = {dl::data::CharVocab::kUnknown};  // <unk> may be read in a prime, never written
    options.stop_id = pg.stop_id;
    bool stop = false;
    const auto on_token = [&](const dl::nn::GeneratedToken& t) {
      ids.push_back(t.id);
      if (t.id == pg.stop_id) return !(stop = true);
      if (!send(token_event(t.id, t.probability))) return !(stop = client_gone = true);
      if (pg.delay.count() > 0) std::this_thread::sleep_for(pg.delay);
      if (timer.seconds() > kSecondsPerRequest) return !(stop = out_of_time = true);
      return true;
    };
    // generate stops when the model's context is full; the text goes on from the last half of
    // it (the model then reads only those tokens), until the length asked for.
    const size_t keep = static_cast<size_t>(std::max<int64_t>(1, model.config.n_positions / 2));
    std::vector<int> context = prompt;
    while (!stop && static_cast<int64_t>(ids.size()) < r.options.max_new_tokens) {
      options.max_new_tokens = r.options.max_new_tokens - static_cast<int64_t>(ids.size());
      const size_t before = ids.size();
      dl::nn::generate(model, context, options, gen, on_token);
      if (stop || static_cast<int64_t>(ids.size()) >= r.options.max_new_tokens) break;
      context.insert(context.end(), ids.begin() + static_cast<std::ptrdiff_t>(before), ids.end());
      context.erase(context.begin(), context.end() - static_cast<std::ptrdiff_t>(std::min(keep, context.size())));
      ++slides;
    }
  }
  if (client_gone) return;  // the page was closed or stopped: nobody to tell
  const bool ended = !ids.empty() && ids.back() == pg.stop_id;
  std::string stopped;
  if (out_of_time)
    stopped = "stopped after the time limit of " + std::to_string(static_cast<int>(kSecondsPerRequest)) + " s";
  else if (ended)
    stopped = "the model ended the poem (its end mark '%')";
  else if (static_cast<int64_t>(ids.size()) >= r.options.max_new_tokens)
    stopped = "reached the length asked for";
  else  // beam search stays within the model's context
    stopped = "the model's context is full (" + std::to_string(model.config.n_positions) + " tokens)";
  send({{"done", true},
        {"tokens", ids.size() - (ended ? 1 : 0)},
        {"seconds", timer.seconds()},
        {"stopped", stopped},
        {"context", model.config.n_positions},
        {"slides", slides}});
}

void handle_generate(Playground& pg, const httplib::Request& req, httplib::Response& res) {
  ch05::play::Request r;
  try {
    r = ch05::play::parse_request(req.params, pg.pretrained.vocab.size(), pg.limits);
    ch05::play::check_beam_work(r, pg.pretrained.model->config.n_positions, pg.limits);
  } catch (const ch05::play::BadRequest& e) {
    return send_json(res, 400, {{"error", e.what()}});
  }
  auto lock = std::make_shared<std::unique_lock<std::timed_mutex>>(pg.busy, std::defer_lock);
  if (!lock->try_lock_for(kWaitForModel))
    return send_json(res, 503, {{"error", "the model is busy with another generation; try again in a moment"}});
  res.set_header("Cache-Control", "no-store");
  // The lock lives as long as the provider: until the response is written or abandoned.
  res.set_chunked_content_provider("text/event-stream", [&pg, r, lock](size_t, httplib::DataSink& sink) {
    try {
      generate_events(pg, r, sink);
    } catch (const std::exception& e) {  // the server stays up; the page shows the message
      const std::string text = "data: " + dump({{"error", std::string("generation failed: ") + e.what()}}) + "\n\n";
      sink.write(text.data(), text.size());
    }
    sink.done();
    return true;
  });
}

Json info(const Playground& pg) {
  const dl::nn::GPTConfig& c = pg.pretrained.model->config;
  const ch05::play::Limits& l = pg.limits;
  return {{"model", pg.model_dir},
          {"vocab_size", c.vocab_size},
          {"n_positions", c.n_positions},
          {"n_embd", c.n_embd},
          {"n_layer", c.n_layer},
          {"n_head", c.n_head},
          {"parameters", pg.pretrained.model->num_parameters()},
          {"limits",
           {{"max_prime_chars", l.max_prime_chars},
            {"max_new_tokens", l.max_new_tokens},
            {"max_temperature", l.max_temperature},
            {"max_beam_width", l.max_beam_width},
            {"max_beam_tokens", l.max_beam_tokens},
            {"seconds_per_request", kSecondsPerRequest}}}};
}

}  // namespace

int main(int argc, char** argv) {
  return dl::app::run_program("play", argc, argv, [](dl::app::Program& program) {
    int port = kDefaultPort, threads = 1, delay_ms = 0;
    int64_t seed = 0;
    std::string model_dir = dl::app::results_dir("05-nlg") + "/hf", page_path = DL_PLAY_PAGE;
    CLI::App& cli = program.cli();
    cli.description("Chapter 05's playground: a page on http://127.0.0.1:PORT/ where the trained GPT writes poems.");
    cli.add_option("--port", port, "port on 127.0.0.1 (0: any free port, printed at the start)")
        ->check(CLI::Range(0, 65535));
    cli.add_option("--model", model_dir, "the trained model's folder (./book run gpt writes it)")->check(dl::app::non_empty);
    cli.add_option("--seed", seed, "seed of the seeds of requests that give none")->check(dl::app::non_negative);
    cli.add_option("--threads", threads, "threads for the model's matrix products")->check(CLI::Range(1, 64));
    cli.add_option("--delay-ms", delay_ms, "a pause after each token, to watch the text grow slowly")
        ->check(CLI::Range(0, 1000));
    cli.add_option("--page", page_path, "the page to serve (edit it and restart to try changes)")->check(dl::app::non_empty);
    program.parse_own_flags();
    dl::set_num_threads(threads);

    if (!fs::exists(fs::path(model_dir) / "config.json"))
      throw dl::FileError(model_dir + ": no trained model here; train one first with ./book run gpt (or pass --model DIR)");
    Playground pg(ch05::load_pretrained(model_dir));
    pg.pretrained.model->eval();
    pg.model_dir = model_dir;
    pg.page = read_text(page_path);
    pg.stop_id = ch05::play::stop_id(pg.pretrained.vocab);
    pg.seeds.seed(static_cast<uint64_t>(seed));
    pg.delay = std::chrono::milliseconds(delay_ms);

    httplib::Server server;
    server.set_payload_max_length(kMaxBody);
    server.Get("/", [&](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_content(pg.page, "text/html; charset=utf-8");
    });
    server.Get("/info", [&](const httplib::Request&, httplib::Response& res) { send_json(res, 200, info(pg)); });
    server.Get("/generate", [&](const httplib::Request& req, httplib::Response& res) { handle_generate(pg, req, res); });
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;  // a message of ours
      if (res.status == 404)
        send_json(res, 404, {{"error", "no page " + req.path + " here: the playground serves /, /info and /generate"}});
      else if (res.status == 414)
        send_json(res, 414, {{"error", "the request's address is too long (the prime is at most 200 characters)"}});
      else
        send_json(res, res.status, {{"error", "the request could not be served (HTTP " + std::to_string(res.status) + ")"}});
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_json(res, 500, {{"error", "the server failed: " + what}});
    });
    std::mutex log_mutex;
    server.set_logger([&](const httplib::Request& req, const httplib::Response& res) {
      const std::lock_guard<std::mutex> hold(log_mutex);
      std::cerr << req.method << " " << req.path << " " << res.status;
      if (res.status >= 400) std::cerr << " " << res.body;  // the message the page shows
      std::cerr << "\n";
    });

    if (port == 0) {
      port = server.bind_to_any_port(kHost);
      if (port < 0) throw dl::Error("cannot open a port on " + std::string(kHost));
    } else if (!server.bind_to_port(kHost, port)) {
      throw dl::Error("cannot listen on " + std::string(kHost) + ":" + std::to_string(port) +
                      " (is another program using it? pick another with --port N)");
    }
    running_server = &server;
    std::signal(SIGINT, stop_server);
    std::signal(SIGTERM, stop_server);
    std::signal(SIGPIPE, SIG_IGN);  // a page closed mid-stream is a failed write, not the end of the server
    std::cout << "play: serving http://" << kHost << ":" << port << "/ with the model in " << model_dir
              << " (Ctrl-C stops)" << std::endl;
    const bool ok = server.listen_after_bind();
    running_server = nullptr;
    if (!ok && !stopping) throw dl::Error("the server stopped unexpectedly");
    std::cout << "play: stopped" << std::endl;
    return 0;
  });
}
