using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Training.Onnx;

/// <summary>
/// Serializes an <see cref="OnnxModelDefinition"/> to the ONNX protobuf format by hand with
/// <see cref="CodedOutputStream"/>. Field numbers are those of onnx/onnx.proto; only the fields
/// AiGuard writes are here, which keeps a code generator and a vendored .proto out of the build.
/// </summary>
public static class OnnxModelWriter
{
    // ModelProto
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelProducerVersion = 3, ModelGraph = 7, ModelOpsetImport = 8, ModelMetadataProps = 14;

    // GraphProto
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;

    // NodeProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;

    // AttributeProto and its AttributeType enum
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrFloats = 7, AttrInts = 8, AttrStrings = 9, AttrType = 20;
    private const int TypeFloat = 1, TypeInt = 2, TypeString = 3, TypeFloats = 6, TypeInts = 7, TypeStrings = 8;

    // TensorProto
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorInt64Data = 7, TensorName = 8;

    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
    private const int ValueInfoName = 1, ValueInfoType = 2;
    private const int TypeTensorType = 1, TensorTypeElemType = 1, TensorTypeShape = 2;
    private const int ShapeDim = 1, DimValue = 1, DimParam = 2;

    // OperatorSetIdProto, StringStringEntryProto
    private const int OpsetDomain = 1, OpsetVersion = 2, EntryKey = 1, EntryValue = 2;

    /// <summary>The serialized model.</summary>
    public static byte[] Write(OnnxModelDefinition model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Message(o =>
        {
            WriteInt64(o, ModelIrVersion, model.IrVersion);
            WriteString(o, ModelProducerName, model.ProducerName);
            WriteString(o, ModelProducerVersion, model.ProducerVersion);
            WriteMessage(o, ModelGraph, g => WriteGraph(g, model));
            foreach (var opset in model.Opsets)
            {
                WriteMessage(o, ModelOpsetImport, s =>
                {
                    WriteString(s, OpsetDomain, opset.Domain);
                    WriteInt64(s, OpsetVersion, opset.Version);
                });
            }

            foreach (var entry in model.Metadata)
            {
                WriteMessage(o, ModelMetadataProps, s =>
                {
                    WriteString(s, EntryKey, entry.Key);
                    WriteString(s, EntryValue, entry.Value);
                });
            }
        });
    }

    private static void WriteGraph(CodedOutputStream o, OnnxModelDefinition model)
    {
        foreach (var node in model.Nodes)
        {
            WriteMessage(o, GraphNode, n => WriteNode(n, node));
        }

        WriteString(o, GraphName, model.GraphName);
        foreach (var init in model.Initializers)
        {
            WriteMessage(o, GraphInitializer, t => WriteTensor(t, init));
        }

        foreach (var input in model.Inputs)
        {
            WriteMessage(o, GraphInput, v => WriteValueInfo(v, input));
        }

        foreach (var output in model.Outputs)
        {
            WriteMessage(o, GraphOutput, v => WriteValueInfo(v, output));
        }
    }

    private static void WriteNode(CodedOutputStream o, OnnxNode node)
    {
        foreach (var input in node.Inputs)
        {
            WriteString(o, NodeInput, input);
        }

        foreach (var output in node.Outputs)
        {
            WriteString(o, NodeOutput, output);
        }

        WriteString(o, NodeName, node.Name ?? node.Outputs[0]);
        WriteString(o, NodeOpType, node.OpType);
        foreach (var attribute in node.Attributes ?? [])
        {
            WriteMessage(o, NodeAttribute, a => WriteAttribute(a, attribute));
        }

        WriteString(o, NodeDomain, node.Domain);
    }

    private static void WriteAttribute(CodedOutputStream o, OnnxAttribute a)
    {
        WriteString(o, AttrName, a.Name);
        if (a.Float is { } f)
        {
            o.WriteTag(AttrF, WireFormat.WireType.Fixed32);
            o.WriteFloat(f);
            WriteInt64(o, AttrType, TypeFloat);
        }
        else if (a.Int is { } i)
        {
            WriteInt64(o, AttrI, i);
            WriteInt64(o, AttrType, TypeInt);
        }
        else if (a.String is { } s)
        {
            WriteString(o, AttrS, s);
            WriteInt64(o, AttrType, TypeString);
        }
        else if (a.Floats is { } floats)
        {
            WritePackedFloats(o, AttrFloats, floats);
            WriteInt64(o, AttrType, TypeFloats);
        }
        else if (a.Ints is { } ints)
        {
            WritePackedInt64s(o, AttrInts, ints);
            WriteInt64(o, AttrType, TypeInts);
        }
        else if (a.Strings is { } strings)
        {
            foreach (var str in strings)
            {
                WriteString(o, AttrStrings, str);
            }

            WriteInt64(o, AttrType, TypeStrings);
        }
        else
        {
            throw new ArgumentException($"Attribute '{a.Name}' has no value.", nameof(a));
        }
    }

    private static void WriteTensor(CodedOutputStream o, OnnxInitializer t)
    {
        WritePackedInt64s(o, TensorDims, t.Dims);
        if (t.Floats is { } floats)
        {
            WriteInt64(o, TensorDataType, (int)TensorElementType.Float);
            WritePackedFloats(o, TensorFloatData, floats);
        }
        else if (t.Int64s is { } longs)
        {
            WriteInt64(o, TensorDataType, (int)TensorElementType.Int64);
            WritePackedInt64s(o, TensorInt64Data, longs);
        }
        else
        {
            throw new ArgumentException($"Initializer '{t.Name}' has no data.", nameof(t));
        }

        WriteString(o, TensorName, t.Name);
    }

    private static void WriteValueInfo(CodedOutputStream o, OnnxValueInfo v)
    {
        WriteString(o, ValueInfoName, v.Name);
        WriteMessage(o, ValueInfoType, type => WriteMessage(type, TypeTensorType, tensor =>
        {
            WriteInt64(tensor, TensorTypeElemType, (int)v.ElementType);
            WriteMessage(tensor, TensorTypeShape, shape =>
            {
                foreach (var dim in v.Shape)
                {
                    WriteMessage(shape, ShapeDim, d =>
                    {
                        if (dim.Value is { } value)
                        {
                            WriteInt64(d, DimValue, value);
                        }
                        else
                        {
                            WriteString(d, DimParam, dim.Symbol ?? "N");
                        }
                    });
                }
            });
        }));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }

        return buffer.ToArray();
    }

    // Nested messages are length-delimited, so each is encoded first to learn its length.
    private static void WriteMessage(CodedOutputStream o, int field, Action<CodedOutputStream> write)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(Message(write)));
    }

    private static void WriteString(CodedOutputStream o, int field, string value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    private static void WriteInt64(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }

    private static void WritePackedFloats(CodedOutputStream o, int field, IReadOnlyList<float> values)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(values.Count * sizeof(float));
        foreach (var v in values)
        {
            o.WriteFloat(v);
        }
    }

    private static void WritePackedInt64s(CodedOutputStream o, int field, IReadOnlyList<long> values)
    {
        var length = 0;
        foreach (var v in values)
        {
            length += CodedOutputStream.ComputeInt64Size(v);
        }

        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteLength(length);
        foreach (var v in values)
        {
            o.WriteInt64(v);
        }
    }
}
