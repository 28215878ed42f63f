#include "apps/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace spotbatch {
namespace {

// Colors for spot pools (in order), then the on-demand color.
constexpr const char* kPalette[] = {"#1b9e77", "#7570b3", "#66a61e", "#e6ab02", "#a6761d",
                                    "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a"};
constexpr const char* kOnDemand = "#d95f02";

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string TimelineSvg(const TimelineChart& c) {
  constexpr double kLeft = 190, kWidth = 900, kRow = 22, kTop = 40;
  const double rows = static_cast<double>(c.pools.size() + c.policies.size());
  const double height = kTop + rows * kRow + 50;
  const double horizon = std::max(c.horizon_hours, 1e-9);
  auto x = [&](double hours) { return kLeft + kWidth * std::clamp(hours / horizon, 0.0, 1.0); };
  std::vector<int> color_of(c.pools.size(), -1);
  int next_color = 0;
  for (size_t i = 0; i < c.pools.size(); ++i) {
    if (c.pools[i].spot) color_of[i] = next_color++ % static_cast<int>(std::size(kPalette));
  }
  auto color = [&](int pool) {
    return pool >= 0 && pool < static_cast<int>(color_of.size()) && color_of[pool] >= 0
               ? kPalette[color_of[pool]]
               : kOnDemand;
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    Num(kLeft + kWidth + 20) + "\" height=\"" + Num(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + Escape(c.title) + "</title>\n";
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\">" + Escape(c.title) + "</text>\n";
  double y = kTop;
  for (size_t i = 0; i < c.pools.size(); ++i, y += kRow) {
    const auto& p = c.pools[i];
    svg += "<text x=\"10\" y=\"" + Num(y + 15) + "\">" + Escape(p.name) +
           (p.spot ? " (room)" : " (on demand)") + "</text>\n";
    if (!p.spot) {
      svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(y + 4) + "\" width=\"" + Num(kWidth) +
             "\" height=\"12\" fill=\"" + kOnDemand + "\" opacity=\"0.25\"/>\n";
      continue;
    }
    for (const auto& [from, to] : p.room_hours) {
      svg += "<rect x=\"" + Num(x(from)) + "\" y=\"" + Num(y + 4) + "\" width=\"" +
             Num(std::max(0.5, x(to) - x(from))) + "\" height=\"12\" fill=\"" +
             color(static_cast<int>(i)) + "\" opacity=\"0.35\"/>\n";
    }
  }
  for (const auto& row : c.policies) {
    svg += "<text x=\"10\" y=\"" + Num(y + 15) + "\" font-weight=\"bold\">" + Escape(row.name) +
           "</text>\n";
    for (const InstanceSpan& s : row.spans) {
      const double from = static_cast<double>(s.launched_millis) / kMillisPerHour;
      const double to = static_cast<double>(s.ended_millis) / kMillisPerHour;
      svg += "<rect x=\"" + Num(x(from)) + "\" y=\"" + Num(y + 3) + "\" width=\"" +
             Num(std::max(0.5, x(to) - x(from))) + "\" height=\"14\" fill=\"" + color(s.pool) +
             "\"><title>" + Escape(c.pools.at(static_cast<size_t>(s.pool)).name) + " " + Num(from) +
             "-" + Num(to) + " h" + (s.reclaimed ? ", reclaimed" : "") + "</title></rect>\n";
      if (s.reclaimed) {
        svg += "<line x1=\"" + Num(x(to)) + "\" y1=\"" + Num(y + 1) + "\" x2=\"" + Num(x(to)) +
               "\" y2=\"" + Num(y + 19) + "\" stroke=\"black\"/>\n";
      }
    }
    y += kRow;
  }
  // Time axis every 12 hours (or every hour on short runs), and the deadline.
  const double step = horizon > 48 ? 12 : horizon > 6 ? 1 : 0.25;
  svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(y + 5) + "\" x2=\"" + Num(kLeft + kWidth) +
         "\" y2=\"" + Num(y + 5) + "\" stroke=\"black\"/>\n";
  for (double h = 0; h <= horizon + 1e-9; h += step) {
    svg += "<text x=\"" + Num(x(h)) + "\" y=\"" + Num(y + 20) + "\" text-anchor=\"middle\">" +
           Num(h) + "</text>\n";
  }
  svg += "<text x=\"" + Num(kLeft + kWidth) + "\" y=\"" + Num(y + 38) +
         "\" text-anchor=\"end\">hours since the start</text>\n";
  if (c.deadline_hours > 0) {
    svg += "<line x1=\"" + Num(x(c.deadline_hours)) + "\" y1=\"" + Num(kTop) + "\" x2=\"" +
           Num(x(c.deadline_hours)) + "\" y2=\"" + Num(y + 5) +
           "\" stroke=\"red\" stroke-dasharray=\"4 3\"><title>deadline</title></line>\n";
  }
  svg += "</svg>\n";
  return svg;
}

std::string FleetRunSvg(const FleetRunChart& c) {
  constexpr double kLeft = 150, kWidth = 900, kTop = 40, kPanel = 70, kGap = 18;
  const double horizon =
      c.samples.empty() ? 1 : std::max(1e-9, c.samples.back().at_seconds - c.samples[0].at_seconds);
  const double t0 = c.samples.empty() ? 0 : c.samples[0].at_seconds;
  auto x = [&](double at) { return kLeft + kWidth * std::clamp((at - t0) / horizon, 0.0, 1.0); };
  int backlog_max = 1;
  for (const auto& s : c.samples) backlog_max = std::max(backlog_max, s.queued + s.running);
  const double panels = static_cast<double>(c.pools.size() + 1);
  const double height = kTop + panels * (kPanel + kGap) + 40;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    Num(kLeft + kWidth + 20) + "\" height=\"" + Num(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + Escape(c.title) + "</title>\n";
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\">" + Escape(c.title) + "</text>\n";
  // A step line through (at, value) over a panel whose top is `top`, scaled to `max`.
  auto steps = [&](double top, double max, auto value) {
    std::string points;
    double last_y = -1;
    for (size_t i = 0; i < c.samples.size(); ++i) {
      const double y = top + kPanel - kPanel * std::min(1.0, value(c.samples[i]) / max);
      if (i > 0) points += Num(x(c.samples[i].at_seconds)) + "," + Num(last_y) + " ";
      points += Num(x(c.samples[i].at_seconds)) + "," + Num(y) + " ";
      last_y = y;
    }
    return points;
  };
  double top = kTop;
  int color = 0;
  for (size_t p = 0; p < c.pools.size(); ++p, top += kPanel + kGap) {
    const auto& pool = c.pools[p];
    const char* fill =
        pool.spot ? kPalette[color++ % static_cast<int>(std::size(kPalette))] : kOnDemand;
    const double max = std::max(1, pool.max_instances);
    svg += "<text x=\"10\" y=\"" + Num(top + 15) + "\">" + Escape(pool.name) + "</text>\n";
    svg += "<text x=\"10\" y=\"" + Num(top + 30) + "\" fill=\"#666\">" +
           (pool.spot ? "room (shaded)," : "on demand,") + "</text>\n";
    svg += "<text x=\"10\" y=\"" + Num(top + 45) + "\" fill=\"#666\">instances (line), max " +
           std::to_string(pool.max_instances) + "</text>\n";
    svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(top) + "\" width=\"" + Num(kWidth) +
           "\" height=\"" + Num(kPanel) + "\" fill=\"none\" stroke=\"#ccc\"/>\n";
    if (!c.samples.empty()) {
      const std::string room =
          steps(top, max, [&](const FleetRunChart::Sample& s) { return double(s.room[p]); });
      svg += "<polygon points=\"" + Num(kLeft) + "," + Num(top + kPanel) + " " + room +
             Num(x(c.samples.back().at_seconds)) + "," + Num(top + kPanel) + "\" fill=\"" + fill +
             "\" opacity=\"0.25\"/>\n";
      svg +=
          "<polyline points=\"" +
          steps(top, max, [&](const FleetRunChart::Sample& s) { return double(s.instances[p]); }) +
          "\" fill=\"none\" stroke=\"" + fill + "\" stroke-width=\"2\"/>\n";
    }
  }
  svg += "<text x=\"10\" y=\"" + Num(top + 15) + "\">backlog</text>\n";
  svg += "<text x=\"10\" y=\"" + Num(top + 30) + "\" fill=\"#666\">queued + running,</text>\n";
  svg += "<text x=\"10\" y=\"" + Num(top + 45) + "\" fill=\"#666\">max " +
         std::to_string(backlog_max) + "</text>\n";
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(top) + "\" width=\"" + Num(kWidth) +
         "\" height=\"" + Num(kPanel) + "\" fill=\"none\" stroke=\"#ccc\"/>\n";
  if (!c.samples.empty()) {
    svg += "<polyline points=\"" +
           steps(top, backlog_max,
                 [](const FleetRunChart::Sample& s) { return double(s.queued + s.running); }) +
           "\" fill=\"none\" stroke=\"black\" stroke-width=\"1.5\"/>\n";
  }
  top += kPanel + 5;
  for (int i = 0; i <= 4; ++i) {
    const double at = t0 + horizon * i / 4;
    svg += "<text x=\"" + Num(x(at)) + "\" y=\"" + Num(top + 15) + "\" text-anchor=\"middle\">" +
           Num((at - t0) / 60) + "</text>\n";
  }
  svg += "<text x=\"" + Num(kLeft + kWidth) + "\" y=\"" + Num(top + 32) +
         "\" text-anchor=\"end\">trace minutes since the start</text>\n";
  svg += "</svg>\n";
  return svg;
}

std::string CostVsSlackSvg(const std::vector<SlackCurve>& curves, const std::string& title) {
  constexpr double kLeft = 70, kTop = 40, kWidth = 640, kHeight = 360;
  double max_slack = 0;
  for (const auto& c : curves) {
    for (const auto& [s, v] : c.points) max_slack = std::max(max_slack, s);
  }
  max_slack = std::max(max_slack, 1e-9);
  auto x = [&](double slack) { return kLeft + kWidth * slack / max_slack; };
  auto y = [&](double share) { return kTop + kHeight * (1 - std::clamp(share, 0.0, 1.2) / 1.2); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    Num(kLeft + kWidth + 220) + "\" height=\"" + Num(kTop + kHeight + 60) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + Escape(title) + "</title>\n";
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\">" + Escape(title) + "</text>\n";
  svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop + kHeight) + "\" x2=\"" +
         Num(kLeft + kWidth) + "\" y2=\"" + Num(kTop + kHeight) + "\" stroke=\"black\"/>\n";
  svg += "<line x1=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" x2=\"" + Num(kLeft) +
         "\" y2=\"" + Num(kTop + kHeight) + "\" stroke=\"black\"/>\n";
  for (int pct = 0; pct <= 120; pct += 20) {
    svg += "<text x=\"" + Num(kLeft - 8) + "\" y=\"" + Num(y(pct / 100.0) + 4) +
           "\" text-anchor=\"end\">" + std::to_string(pct) + "%</text>\n";
  }
  for (const auto& [s, v] :
       curves.empty() ? std::vector<std::pair<double, double>>{} : curves.front().points) {
    svg += "<text x=\"" + Num(x(s)) + "\" y=\"" + Num(kTop + kHeight + 18) +
           "\" text-anchor=\"middle\">" + std::to_string(std::lround(100 * s)) + "%</text>\n";
  }
  svg += "<text x=\"" + Num(kLeft + kWidth / 2) + "\" y=\"" + Num(kTop + kHeight + 40) +
         "\" text-anchor=\"middle\">deadline slack (share of the work)</text>\n";
  svg += "<text x=\"12\" y=\"" + Num(kTop + kHeight / 2) + "\" transform=\"rotate(-90 12 " +
         Num(kTop + kHeight / 2) + ")\" text-anchor=\"middle\">cost against on demand</text>\n";
  for (size_t i = 0; i < curves.size(); ++i) {
    const char* col = kPalette[i % std::size(kPalette)];
    std::string points;
    for (const auto& [s, v] : curves[i].points) points += Num(x(s)) + "," + Num(y(v)) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(col) +
           "\" stroke-width=\"2\" points=\"" + points + "\"><title>" + Escape(curves[i].policy) +
           "</title></polyline>\n";
    for (const auto& [s, v] : curves[i].points) {
      svg += "<circle cx=\"" + Num(x(s)) + "\" cy=\"" + Num(y(v)) + "\" r=\"3\" fill=\"" + col +
             "\"><title>" + Escape(curves[i].policy) + ": " + Num(100 * v) + "% at " +
             Num(100 * s) + "% slack</title></circle>\n";
    }
    const double ly = kTop + 10 + 18 * static_cast<double>(i);
    svg += "<line x1=\"" + Num(kLeft + kWidth + 20) + "\" y1=\"" + Num(ly) + "\" x2=\"" +
           Num(kLeft + kWidth + 40) + "\" y2=\"" + Num(ly) + "\" stroke=\"" + col +
           "\" stroke-width=\"2\"/>\n<text x=\"" + Num(kLeft + kWidth + 46) + "\" y=\"" +
           Num(ly + 4) + "\">" + Escape(curves[i].policy) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace spotbatch
