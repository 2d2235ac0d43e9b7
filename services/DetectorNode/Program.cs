using Pipeline.DetectorNode;

// A detector in the field: serves detections over HTTP, follows its project's current model (or a pinned version),
// and sends uncertain images back to the project's inbox for labelling.
var builder = WebApplication.CreateBuilder(args);
builder.AddDetectorNode();

var app = builder.Build();
app.UseDetectorNode();
app.Run();
